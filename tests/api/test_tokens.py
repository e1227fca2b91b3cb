"""flask tokens create|list|revoke: the secret is printed once and only its hash is stored."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from api.models import ApiToken
from tests.rota.builders import department


def test_create_list_revoke(app, runner, session, client):
    department(session, "Neurosciences")
    session.commit()
    created = runner.invoke(args=["tokens", "create", "--name", "planning", "--department", "Neurosciences"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("rcs_") and len(secret) > 40
    session.expire_all()
    token = session.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.token_hash
    assert client.get("/api/departments", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    listed = runner.invoke(args=["tokens", "list"])
    assert "planning" in listed.output and "writes in Neurosciences" in listed.output and secret not in listed.output

    revoked = runner.invoke(args=["tokens", "revoke", str(token.id)])
    assert revoked.exit_code == 0, revoked.output
    answer = client.get("/api/departments", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output


def test_create_refuses_a_token_without_scope_or_an_unknown_department(app, runner):
    assert "--read-only" in runner.invoke(args=["tokens", "create", "--name", "x"]).output
    assert "no department" in runner.invoke(args=["tokens", "create", "--name", "x", "--department", "Nope"]).output
    read_only = runner.invoke(args=["tokens", "create", "--name", "x", "--read-only"])
    assert read_only.exit_code == 0
    assert "read-only" in runner.invoke(args=["tokens", "list"]).output
    assert "no token #99" in runner.invoke(args=["tokens", "revoke", "99"]).output
