-- Default pipeline templates: the agent pipelines a new strategy starts from. Each runs on one
-- LLM model, referenced by id; the seed file names the model by its model_id.

-- updated_at moves only when a row really changes, for every table from here on.
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TABLE pipeline_templates (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text        NOT NULL UNIQUE,               -- natural key, e.g. market-scan
    display_name     text        NOT NULL,
    description      text,
    llm_model_id     uuid        NOT NULL REFERENCES llm_models (id),
    steps            jsonb       NOT NULL,                      -- [{agent, task}], run in order
    max_cost_per_run numeric(10, 4) CHECK (max_cost_per_run >= 0),  -- USD; null: no limit
    is_active        boolean     NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER pipeline_templates_updated_at BEFORE UPDATE ON pipeline_templates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
