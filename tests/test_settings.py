"""Configuration: every variable documented, any PostgreSQL URL accepted."""

import os
import re
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from impl.db.urls import asyncpg_url
from impl.settings import PROJECT_ROOT, Settings, SettingsError, variables

NEON_POOLED = (
    "postgresql://alex:AbC123@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"
    "/neondb?sslmode=require&channel_binding=require"
)


def test_env_example_documents_every_variable_and_no_other() -> None:
    read = set(variables().values())
    documented = set(
        re.findall(r"^# ([A-Z_]+)=", (PROJECT_ROOT / ".env.example").read_text(), re.M)
    )

    assert "DATABASE_URL" in read
    assert read == documented, (read - documented, documented - read)


def test_a_neon_url_pasted_as_is_becomes_verified_tls() -> None:
    url, connect_args = asyncpg_url(NEON_POOLED)

    assert url == (
        "postgresql://alex:AbC123@ep-cool-darkness-123456-pooler"
        ".us-east-2.aws.neon.tech/neondb"
    )
    context = connect_args["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_verify_ca_checks_the_chain_but_not_the_host_name() -> None:
    _, connect_args = asyncpg_url("postgresql://u@h/db?sslmode=verify-ca")

    assert connect_args["ssl"].verify_mode == ssl.CERT_REQUIRED
    assert not connect_args["ssl"].check_hostname


@pytest.mark.parametrize(
    ("query", "expected"), [("sslmode=disable", False), ("sslmode=prefer", "prefer")]
)
def test_other_sslmodes(query: str, expected: object) -> None:
    _, connect_args = asyncpg_url(f"postgres://u@h/db?{query}")

    assert connect_args["ssl"] == expected


def test_other_parameters_pass_through() -> None:
    url, connect_args = asyncpg_url(
        "postgresql://u@/db?host=/run/pg&application_name=x"
    )

    assert url == "postgresql://u@/db?host=%2Frun%2Fpg&application_name=x"
    assert connect_args == {}


def test_a_non_postgres_url_is_refused() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        asyncpg_url("mysql://u@h/db")


def test_malformed_numbers_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "eighty")

    with pytest.raises(SettingsError, match="PORT must be an integer"):
        Settings.from_env()


def test_better_auth_url_implies_jwks_issuer_and_audience(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BETTER_AUTH_URL", "https://app.example.com/")

    settings = Settings.from_env()

    assert settings.jwks_url == "https://app.example.com/api/auth/jwks"
    assert settings.jwt_issuer == settings.jwt_audience == "https://app.example.com"


def python_m_impl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m impl` with these arguments, however it ends."""
    return subprocess.run(
        [sys.executable, "-m", "impl", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.process
@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"JWKS_JSON": '{"keys": []}'}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "postgresql://u@127.0.0.1:1/db"}, "no auth configuration"),
        ({"DATABASE_URL": "postgresql://u@h/db", "PORT": "x"}, "PORT must be"),
    ],
)
def test_the_production_command_refuses_an_incomplete_configuration_at_once(
    variables: dict[str, str], reason: str
) -> None:
    names = ("DATABASE_URL", "BETTER_AUTH_URL", "JWKS_URL", "JWKS_FILE")
    env = {
        "PATH": os.environ["PATH"],
        **dict.fromkeys((*names, "JWKS_JSON", "JWT_SECRET", "PORT"), ""),
        **variables,
    }
    started = time.monotonic()

    result = python_m_impl(env, "--workers", "2")

    assert result.returncode != 0
    assert time.monotonic() - started < 10
    assert result.stderr.startswith("refusing to start: "), result.stderr
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.process
def test_make_run_on_a_taken_port_refuses_before_its_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "PATH": os.environ["PATH"],
            "PORT": str(port),
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "",
        }

        result = python_m_impl(env, "--dev")

    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("refusing to start: cannot listen on"), result
    assert f"127.0.0.1:{port}" in result.stderr
    assert "TOKEN=" not in result.stdout
    assert not (tmp_path / "postgres").exists()
