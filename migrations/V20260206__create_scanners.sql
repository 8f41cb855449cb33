-- Example scanners: what the backend scans the market for. A scanner may refine another
-- (parent_id), e.g. large-cap momentum refines momentum.

CREATE TABLE scanners (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text        NOT NULL UNIQUE,                    -- natural key, e.g. momentum
    name        text        NOT NULL,
    description text,
    parent_id   uuid        REFERENCES scanners (id),
    universe    text        NOT NULL,                           -- us-equities, crypto-top-50, ...
    timeframe   text        NOT NULL CHECK (timeframe IN ('1m', '5m', '15m', '1h', '4h', '1d')),
    criteria    jsonb       NOT NULL,
    is_active   boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER scanners_updated_at BEFORE UPDATE ON scanners
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
