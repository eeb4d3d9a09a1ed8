"""The conventional app: what most teams write after the SQLModel tutorial.

FastAPI with a SQLModel AsyncSession per request on a default engine,
`session.get` to read, and add, commit, refresh to write, on tables declared
here as the tutorial does, and a token verified with PyJWT in a dependency.
It imports nothing from impl/, so a change to the service never moves it.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.yardstick_auth import TokenChecker, database_url


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class TaskIn(SQLModel):
    title: str
    description: str | None = None
    completed: bool = False


class Task(TaskIn, table=True):
    __tablename__ = "tasks"

    user_id: str = Field(primary_key=True, foreign_key="users.id")
    id: UUID = Field(primary_key=True, default_factory=uuid4)
    version: int = 1
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class TaskPublic(SQLModel):
    id: UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime


class TaskListPublic(SQLModel):
    items: list[TaskPublic]
    next_cursor: str | None = None


def create_app() -> FastAPI:
    url = database_url().replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url)
    tokens = TokenChecker()

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with AsyncSession(engine) as session:
            yield session

    def current_user(request: Request, user_id: str) -> str:
        subject = tokens.subject(request.headers.get("authorization"))
        if subject is None:
            raise HTTPException(401, "The token is missing or invalid.")
        if subject != user_id:
            raise HTTPException(403, "Forbidden")
        return subject

    Session = Annotated[AsyncSession, Depends(get_session)]
    CurrentUser = Annotated[str, Depends(current_user)]
    app = FastAPI()

    async def owned(session: AsyncSession, user_id: str, task_id: UUID) -> Task:
        task = await session.get(Task, (user_id, task_id))
        if task is None:
            raise HTTPException(404, "Task not found.")
        return task

    @app.get("/api/{user_id}/tasks", response_model=TaskListPublic)
    async def list_tasks(
        user_id: str, user: CurrentUser, session: Session, limit: int = 50
    ) -> TaskListPublic:
        statement = (
            select(Task)
            .where(Task.user_id == user_id)
            .order_by(col(Task.created_at).desc(), col(Task.id).desc())
            .limit(limit)
        )
        tasks = (await session.exec(statement)).all()
        return TaskListPublic(items=[TaskPublic.model_validate(t) for t in tasks])

    @app.post("/api/{user_id}/tasks", response_model=TaskPublic, status_code=201)
    async def create_task(
        user_id: str,
        body: TaskIn,
        user: CurrentUser,
        session: Session,
        response: Response,
    ) -> Task:
        if await session.get(User, user_id) is None:
            session.add(User(id=user_id))
        task = Task(user_id=user_id, **body.model_dump())
        session.add(task)
        await session.commit()
        await session.refresh(task)
        response.headers["Location"] = f"/api/{user_id}/tasks/{task.id}"
        return task

    @app.get("/api/{user_id}/tasks/{task_id}", response_model=TaskPublic)
    async def get_task(
        user_id: str, task_id: UUID, user: CurrentUser, session: Session
    ) -> Task:
        return await owned(session, user_id, task_id)

    @app.put("/api/{user_id}/tasks/{task_id}", response_model=TaskPublic)
    async def update_task(
        user_id: str, task_id: UUID, body: TaskIn, user: CurrentUser, session: Session
    ) -> Task:
        task = await owned(session, user_id, task_id)
        task.sqlmodel_update(body.model_dump())
        task.version += 1
        task.updated_at = datetime.now(UTC)
        session.add(task)
        await session.commit()
        await session.refresh(task)
        return task

    @app.delete("/api/{user_id}/tasks/{task_id}", status_code=204)
    async def delete_task(
        user_id: str, task_id: UUID, user: CurrentUser, session: Session
    ) -> None:
        await session.delete(await owned(session, user_id, task_id))
        await session.commit()

    return app
