-- Sluice state, version 5: per-destination send budgets (D4), shared by every sync, lane and process that
-- sends to a destination connection. A row holds four token buckets — requests and events, each for
-- everyone and for the backfill lane — and the pause a 429 set. Processes take permits in chunks through
-- take_rate_budget (one round trip each, reserved ahead when the buckets are short) and spend them locally; the arithmetic mirrors
-- Sluice.Core.Engine.InMemoryRateBudgetStore. Rates are not stored: each call passes its process's config.
CREATE TABLE {schema}.rate_budgets (
    destination       text PRIMARY KEY,
    -- tokens in each bucket; 'Infinity' is a new, full bucket (the first refill caps it) or an unlimited one
    requests          double precision NOT NULL DEFAULT 'Infinity',
    backfill_requests double precision NOT NULL DEFAULT 'Infinity',
    events            double precision NOT NULL DEFAULT 'Infinity',
    backfill_events   double precision NOT NULL DEFAULT 'Infinity',
    refilled_at       timestamptz NOT NULL,
    -- no sender starts a request before this (the latest Retry-After anyone was given)
    paused_until      timestamptz NOT NULL DEFAULT '-infinity'
);

-- Tokens a bucket of `rate` per second holds after `elapsed` seconds: at most a quarter second's worth
-- (RateBudgetAsk.Burst), at least one. A NULL rate is unlimited.
CREATE FUNCTION {schema}.rate_budget_refill(level double precision, rate double precision, elapsed double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN rate IS NULL OR rate <= 0 THEN level
                ELSE least(greatest(1, rate * 0.25), level + rate * elapsed) END
$$;

-- Seconds until the bucket holds `ask` (or is full, when the ask is larger than the bucket); 0 if it does.
CREATE FUNCTION {schema}.rate_budget_shortfall(level double precision, ask bigint, rate double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN rate IS NULL OR rate <= 0 OR ask <= 0 THEN 0
                WHEN level + 1e-9 >= least(ask, greatest(1, rate * 0.25)) THEN 0
                ELSE (least(ask, greatest(1, rate * 0.25)) - level) / rate END
$$;

-- Takes `requests` and `events` permits for a lane unless the destination is paused; ready_at is when a grant
-- may be spent, or when the pause ends.
CREATE FUNCTION {schema}.take_rate_budget(
    p_destination text, p_backfill boolean, p_now timestamptz,
    p_requests bigint, p_events bigint,
    p_requests_per_second double precision, p_events_per_second double precision, p_backfill_share double precision,
    OUT granted boolean, OUT ready_at timestamptz, OUT paused_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    b {schema}.rate_budgets;
    elapsed double precision;
    wait double precision;
    backfill_requests_per_second double precision := p_requests_per_second * p_backfill_share;
    backfill_events_per_second double precision := p_events_per_second * p_backfill_share;
BEGIN
    INSERT INTO {schema}.rate_budgets (destination, refilled_at) VALUES (p_destination, p_now)
    ON CONFLICT (destination) DO NOTHING;
    SELECT * INTO b FROM {schema}.rate_budgets r WHERE r.destination = p_destination FOR UPDATE;

    -- A clock behind the last refill adds nothing; it does not take back either.
    elapsed := greatest(0, extract(epoch FROM p_now - b.refilled_at));
    b.refilled_at := greatest(b.refilled_at, p_now);
    b.requests := {schema}.rate_budget_refill(b.requests, p_requests_per_second, elapsed);
    b.backfill_requests := {schema}.rate_budget_refill(b.backfill_requests, backfill_requests_per_second, elapsed);
    b.events := {schema}.rate_budget_refill(b.events, p_events_per_second, elapsed);
    b.backfill_events := {schema}.rate_budget_refill(b.backfill_events, backfill_events_per_second, elapsed);

    paused_until := b.paused_until;
    IF b.paused_until > p_now THEN
        granted := false;
        ready_at := b.paused_until;
    ELSE
        wait := greatest(
            {schema}.rate_budget_shortfall(b.requests, p_requests, p_requests_per_second),
            {schema}.rate_budget_shortfall(b.events, p_events, p_events_per_second),
            CASE WHEN p_backfill THEN {schema}.rate_budget_shortfall(b.backfill_requests, p_requests, backfill_requests_per_second) ELSE 0 END,
            CASE WHEN p_backfill THEN {schema}.rate_budget_shortfall(b.backfill_events, p_events, backfill_events_per_second) ELSE 0 END);
        -- A grant is a reservation: the buckets pay now (into debt if short); the permits are spent from ready_at.
        granted := true;
        IF p_requests_per_second > 0 THEN
            b.requests := b.requests - p_requests;
            IF p_backfill THEN b.backfill_requests := b.backfill_requests - p_requests; END IF;
        END IF;
        IF p_events_per_second > 0 THEN
            b.events := b.events - p_events;
            IF p_backfill THEN b.backfill_events := b.backfill_events - p_events; END IF;
        END IF;
        -- timestamptz keeps microseconds: round the wait up so that the permits are there at ready_at.
        ready_at := p_now + make_interval(secs => ceil(wait * 1000000) / 1000000);
    END IF;

    UPDATE {schema}.rate_budgets r
    SET requests = b.requests, backfill_requests = b.backfill_requests, events = b.events,
        backfill_events = b.backfill_events, refilled_at = b.refilled_at
    WHERE r.destination = p_destination;
END
$$;
