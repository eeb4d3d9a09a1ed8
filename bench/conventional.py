"""The conventional app: what most teams write after the SQLModel tutorial.

FastAPI with a SQLModel AsyncSession per request on a default engine,
`session.get` to read, and add, commit, refresh to write; the same tables
and the same auth check (impl.auth) as the service.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from impl.auth import authenticated_user, build_verifier
from impl.errors import install
from impl.settings import Settings
from impl.tables import Task, User


class TaskIn(SQLModel):
    title: str
    description: str | None = None
    completed: bool = False


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
    settings = Settings.from_env()
    url = settings.database_url.replace("postgresql://", "postgresql+asyncpg://")
    engine = create_async_engine(url)

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with AsyncSession(engine) as session:
            yield session

    Session = Annotated[AsyncSession, Depends(get_session)]
    CurrentUser = Annotated[str, Depends(authenticated_user)]
    app = FastAPI()
    app.state.verifier = build_verifier(settings)
    install(app)

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
            # created_at has a server default, which the signature cannot tell.
            session.add(User(id=user_id))  # type: ignore[call-arg]
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

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> dict[str, str]:
        return {"status": "ok"}

    return app
