"""room for SigV4 secrets encrypted at rest

Revision ID: 0009_secret_encryption
Revises: 0007
Create Date: 2026-12-06

With REGISTRY_SECRET_KEY set, a token's SigV4 secret access key is stored as `fernet:<token>` (about 150
characters) instead of as issued (40): the column grows. Encrypting the secrets already stored needs the
key, which a migration does not have: `registry migrate` does it after upgrading when the key is set (or
`registry secrets reencrypt`). The previous release ignores nothing here but cannot read encrypted secrets,
so downgrading refuses while any is stored: `registry secrets decrypt` first.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_secret_encryption"
down_revision = "0008_audit_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column(
            "aws_secret_access_key", existing_type=sa.String(64), type_=sa.String(512), existing_nullable=True
        )


def downgrade() -> None:
    encrypted = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM api_tokens WHERE aws_secret_access_key LIKE 'fernet:%'")
    )
    if encrypted:
        raise RuntimeError(
            f"{encrypted} SigV4 secret(s) are stored encrypted, which the previous release cannot read: "
            "run `registry secrets decrypt` (with REGISTRY_SECRET_KEY set) before downgrading"
        )
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column(
            "aws_secret_access_key", existing_type=sa.String(512), type_=sa.String(64), existing_nullable=True
        )
