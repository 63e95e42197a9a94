"""delegation inside a school: an assignment handed to a deputy, their draft, the school's choice

Revision ID: 0014_i14a
Revises: 0013_i12
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_i14a'
down_revision = '0013_i12'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegate_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('report_draft', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assignments_delegate_id'), ['delegate_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_assignments_delegate_id_users'), 'users', ['delegate_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deputies_submit', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('deputies_submit')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignments_delegate_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_assignments_delegate_id'))
        batch_op.drop_column('report_draft')
        batch_op.drop_column('delegate_id')

