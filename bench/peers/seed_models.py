#!/usr/bin/python3
"""The Python peer of bench/run: the LLM models seeded as the old backend's seed_database.py did.

Usage: seed_models.py URL SCHEMA ROWS.json

  URL     postgresql://user[:password]@host[:port]/database (bench/run's BENCH_DATABASE_URL)
  SCHEMA  the schema that holds the table llm_models (bench/run makes it with the project's
          migration V20251218.0421)
  ROWS    a JSON list of the models, one object of column: value each (what the old
          app/seeds/llm_models.py held as a Python list; read from a file, so that bench/run can give
          it the very rows the tool seeded: reading 21 rows of JSON takes well under a millisecond)

The pattern of the old seeder, plain SQLAlchemy ORM: for each model, select its row by model_id; if
there is one, set each attribute; if not, add a new one; then one commit. SQLAlchemy writes only
the rows whose attributes changed, so a rerun with nothing changed writes nothing. Prints one line.

Needs SQLAlchemy and psycopg2; on Debian: apt-get install -y python3-sqlalchemy python3-psycopg2
"""

import json
import sys
from decimal import Decimal

from sqlalchemy import Boolean, Column, Integer, Numeric, Text, create_engine, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import declarative_base, sessionmaker

Base = declarative_base()


class LLMModel(Base):
    """The llm_models table (migrations/V20251218.0421__create_llm_models_table.sql)."""

    __tablename__ = "llm_models"

    id = Column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()"))
    model_id = Column(Text, unique=True, nullable=False)
    provider = Column(Text, nullable=False)
    display_name = Column(Text, nullable=False)
    description = Column(Text)
    max_tokens = Column(Integer, nullable=False)
    supports_functions = Column(Boolean, nullable=False)
    supports_vision = Column(Boolean, nullable=False)
    cost_per_1k_input_tokens = Column(Numeric(12, 6), nullable=False)
    cost_per_1k_output_tokens = Column(Numeric(12, 6), nullable=False)
    typical_agent_cost = Column(Numeric(10, 4), nullable=False)
    is_active = Column(Boolean, nullable=False)
    is_default = Column(Boolean, nullable=False)
    environment = Column(Text, nullable=False)
    model_metadata = Column(JSONB, nullable=False)


def seed_llm_models(db, models):
    """Insert or update each model by its model_id; returns (inserted, updated)."""
    inserted = updated = 0
    for data in models:
        model = db.query(LLMModel).filter_by(model_id=data["model_id"]).first()
        if model is None:
            db.add(LLMModel(**data))
            inserted += 1
        else:
            for key, value in data.items():
                setattr(model, key, value)
            if db.is_modified(model):
                updated += 1
    db.commit()
    return inserted, updated


def main(argv):
    if len(argv) != 4:
        print("usage: seed_models.py URL SCHEMA ROWS.json", file=sys.stderr)
        return 2
    url, schema, rows = argv[1:]
    with open(rows, encoding="utf-8") as f:
        models = json.load(f, parse_float=Decimal)   # numeric columns compare as Decimal, not float
    engine = create_engine(url, connect_args={"options": f"-c search_path={schema}"})
    session = sessionmaker(bind=engine)()
    try:
        inserted, updated = seed_llm_models(session, models)
    finally:
        session.close()
        engine.dispose()
    print(f"Seeded {len(models)} LLM models: {inserted} inserted, {updated} updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
