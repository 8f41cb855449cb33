-- Sample strategies: a scanner to find candidates and a pipeline template to decide on them.
-- Users add their own strategies to this table too; the seeds own only the samples.

CREATE TABLE strategies (
    id                   uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    code                 text          NOT NULL UNIQUE,         -- natural key, e.g. momentum-swing
    name                 text          NOT NULL,
    description          text,
    scanner_id           uuid          NOT NULL REFERENCES scanners (id),
    pipeline_template_id uuid          NOT NULL REFERENCES pipeline_templates (id),
    risk_per_trade       numeric(5, 4) NOT NULL CHECK (risk_per_trade > 0 AND risk_per_trade <= 0.05),  -- of equity
    max_open_positions   integer       NOT NULL CHECK (max_open_positions > 0),
    parameters           jsonb         NOT NULL DEFAULT '{}',
    is_sample            boolean       NOT NULL DEFAULT false,
    is_active            boolean       NOT NULL DEFAULT true,
    created_at           timestamptz   NOT NULL DEFAULT now(),
    updated_at           timestamptz   NOT NULL DEFAULT now()
);

CREATE TRIGGER strategies_updated_at BEFORE UPDATE ON strategies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
