"""The supervisors' dashboard: what each procurement waits for, and the indexes its list needs.

Revision ID: 0005
Revises: 0004

Five columns are computed by PostgreSQL from the row itself whenever the read model is
written (stored generated columns), so no writer has to know about them:

- ``duty_due_at`` and ``duty_overdue_at``: the earliest duty not yet performed (an opening, a
  sole source hearing, an award due after an auction, an emergency disclosure, documents the
  Board or the Commission asked for, the written explanation of an award to other than the
  lowest) and the instant it counts as overdue. A duty fixed for a moment of a day (an
  opening at 14:00) is overdue at the end of that day; a duty due "by" a day, once the day
  has run. The rules are those of ``state_machines.schedule.deadlines``.
- ``watch_name`` and ``watch_at``: the deadline a supervisor watches, the earlier of that duty
  and the next deadline the workflow recorded.
- ``protest_pending``: a protest awaits the chief procurement officer's decision.

"Overdue" is then ``duty_overdue_at <= now``, an index range, however many procurements
there are. ``procurement_counts``, kept by triggers on the same writes, holds how many
procurements each agency has by method and state, for the counts per state.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = (
    # The day a moment falls on, and the first instant after a day, in Chicago (15-45).
    """
    CREATE FUNCTION procure_local_date(moment timestamptz) RETURNS date
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT (moment AT TIME ZONE 'America/Chicago')::date $$
    """,
    """
    CREATE FUNCTION procure_end_of_day(day date) RETURNS timestamptz
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT ((day + 1)::timestamp AT TIME ZONE 'America/Chicago') $$
    """,
    # The twelve holidays 30 ILCS 500/15-45 names (rules.calendar computes the same days).
    """
    CREATE FUNCTION procure_named_holiday(day date) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN (extract(month FROM day), extract(day FROM day))
                 IN ((1, 1), (2, 12), (6, 19), (7, 4), (11, 11), (12, 25)) THEN true
            WHEN extract(isodow FROM day) = 1 THEN
                (extract(month FROM day) IN (1, 2) AND extract(day FROM day) BETWEEN 15 AND 21)
                OR (extract(month FROM day) = 5 AND extract(day FROM day) >= 25)
                OR (extract(month FROM day) = 9 AND extract(day FROM day) <= 7)
                OR (extract(month FROM day) = 10 AND extract(day FROM day) BETWEEN 8 AND 14)
            WHEN extract(isodow FROM day) = 4 THEN
                extract(month FROM day) = 11 AND extract(day FROM day) BETWEEN 22 AND 28
            ELSE false
        END
    $$
    """,
    # Whether a last day is excluded under 15-45 by a procurement's pinned calendar rules:
    # a Saturday, a Sunday, a named holiday, a declared closure, or (with observed days) the
    # Friday before or the Monday after a holiday on a weekend (80 Ill. Adm. Code 303.200).
    """
    CREATE FUNCTION procure_excluded_day(day date, calendar jsonb) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT extract(isodow FROM day) IN (6, 7)
            OR procure_named_holiday(day)
            OR COALESCE(calendar->'declared_closures', '[]'::jsonb)
               @> jsonb_build_array(jsonb_build_object('day', to_char(day, 'YYYY-MM-DD')))
            OR (COALESCE((calendar->>'observed_days')::boolean, false) AND (
                   (extract(isodow FROM day) = 5 AND procure_named_holiday(day + 1))
                OR (extract(isodow FROM day) = 1 AND procure_named_holiday(day - 1))))
    $$
    """,
    "CREATE TYPE procure_duty AS (name text, due_at timestamptz, overdue_at timestamptz)",
    # Every timestamp and date in a snapshot is ISO 8601 with its offset, so reading one does
    # not depend on the session's DateStyle or TimeZone: the function is immutable in fact.
    r"""
    CREATE FUNCTION procure_first_duty(snapshot jsonb) RETURNS procure_duty
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        st text := snapshot->>'state';
        m text := snapshot->>'method';
        best procure_duty;
        cand procure_duty;
        moment timestamptz;
        due date;
        item jsonb;
        i integer := 0;
        filed jsonb;
    BEGIN
        -- The opening (or an auction's end) of a published solicitation: 20-10(c), 20-15(c).
        IF st = 'published' AND m NOT IN ('sole_source', 'small_purchase', 'emergency')
           AND snapshot->'notice'->>'opening_at' IS NOT NULL
           AND snapshot->>'opened_at' IS NULL THEN
            moment := (snapshot->'notice'->>'opening_at')::timestamptz;
            cand := ROW(
                CASE m WHEN 'reverse_auction' THEN 'auction_ends'
                       WHEN 'competitive_sealed_proposals' THEN 'proposal_opening'
                       ELSE 'bid_opening' END,
                moment, procure_end_of_day(procure_local_date(moment)));
            IF best IS NULL OR (cand.due_at, cand.name) < (best.due_at, best.name) THEN
                best := cand;
            END IF;
        END IF;
        -- The sole source hearing (20-25).
        IF st = 'published' AND m = 'sole_source'
           AND snapshot->'notice'->>'hearing_at' IS NOT NULL
           AND snapshot->>'hearing_held_at' IS NULL THEN
            moment := (snapshot->'notice'->>'hearing_at')::timestamptz;
            cand := ROW('hearing', moment, procure_end_of_day(procure_local_date(moment)));
            IF best IS NULL OR (cand.due_at, cand.name) < (best.due_at, best.name) THEN
                best := cand;
            END IF;
        END IF;
        -- A reverse auction's award, due within 60 days unless extended (20-10(j)).
        IF st = 'evaluation' AND snapshot->>'award_due_on' IS NOT NULL
           AND jsonb_typeof(snapshot->'award') IS DISTINCT FROM 'object' THEN
            moment := procure_end_of_day((snapshot->>'award_due_on')::date);
            cand := ROW('award_due', moment, moment);
            IF best IS NULL OR (cand.due_at, cand.name) < (best.due_at, best.name) THEN
                best := cand;
            END IF;
        END IF;
        -- Emergency purchases published in the Bulletin (20-30).
        FOR item IN SELECT value FROM jsonb_array_elements(
                COALESCE(snapshot->'disclosures', '[]'::jsonb)) LOOP
            i := i + 1;
            IF item->>'published_at' IS NULL AND item->>'due_on' IS NOT NULL THEN
                moment := procure_end_of_day((item->>'due_on')::date);
                cand := ROW('emergency_disclosure_due:' || i, moment, moment);
                IF best IS NULL OR (cand.due_at, cand.name) < (best.due_at, best.name) THEN
                    best := cand;
                END IF;
            END IF;
        END LOOP;
        IF jsonb_typeof(snapshot->'award') = 'object'
           AND m NOT IN ('small_purchase', 'emergency') THEN
            -- Documents the Board or the Commission requested in the review window (5-30).
            FOR item IN SELECT value FROM jsonb_array_elements(
                    COALESCE(snapshot->'document_requests', '[]'::jsonb)) LOOP
                IF item->>'answered_at' IS NULL THEN
                    moment := procure_end_of_day((item->>'due_on')::date);
                    cand := ROW('documents_due:' || (item->>'request_id'), moment, moment);
                    IF best IS NULL OR (cand.due_at, cand.name) < (best.due_at, best.name) THEN
                        best := cand;
                    END IF;
                END IF;
            END LOOP;
            -- The written explanation of an award to other than the lowest (20-10(g)): 14
            -- days after the decision, counted under 15-45 with the procurement's calendar.
            filed := COALESCE(snapshot->'explanation_filed_with', '[]'::jsonb);
            IF jsonb_typeof(snapshot->'award'->'explanation') = 'object'
               AND NOT (filed @> '["LAC", "CEI", "PPB"]'::jsonb) THEN
                due := procure_local_date((snapshot->'award'->>'decided_at')::timestamptz) + 14;
                WHILE procure_excluded_day(due, snapshot->'calendar') LOOP
                    due := due + 1;
                END LOOP;
                moment := procure_end_of_day(due);
                cand := ROW('written_explanation_filing', moment, moment);
                IF best IS NULL OR (cand.due_at, cand.name) < (best.due_at, best.name) THEN
                    best := cand;
                END IF;
            END IF;
        END IF;
        RETURN best;
    END
    $$
    """,
    """
    ALTER TABLE procurements
        ADD COLUMN duty_due_at timestamptz
            GENERATED ALWAYS AS ((procure_first_duty(snapshot)).due_at) STORED,
        ADD COLUMN duty_overdue_at timestamptz
            GENERATED ALWAYS AS ((procure_first_duty(snapshot)).overdue_at) STORED,
        ADD COLUMN watch_name text GENERATED ALWAYS AS (
            CASE WHEN (procure_first_duty(snapshot)).due_at
                      <= COALESCE(next_deadline_at, 'infinity'::timestamptz)
                 THEN (procure_first_duty(snapshot)).name
                 ELSE next_deadline_name END) STORED,
        ADD COLUMN watch_at timestamptz GENERATED ALWAYS AS (
            LEAST(next_deadline_at, (procure_first_duty(snapshot)).due_at)) STORED,
        ADD COLUMN protest_pending boolean GENERATED ALWAYS AS (
            COALESCE(snapshot->'protests' @> '[{"status": "pending"}]'::jsonb, false)) STORED
    """,
    # The list's orders, each with the reference as the tie-breaker of its keyset. A
    # procurement with nothing to watch sorts last both ways.
    """
    CREATE INDEX procurements_watch_asc_idx
        ON procurements ((COALESCE(watch_at, 'infinity'::timestamptz)), reference)
    """,
    """
    CREATE INDEX procurements_watch_desc_idx
        ON procurements ((COALESCE(watch_at, '-infinity'::timestamptz)) DESC, reference DESC)
    """,
    "CREATE INDEX procurements_updated_idx ON procurements (updated_at, reference)",
    "CREATE INDEX procurements_agency_ref_idx ON procurements (agency, reference)",
    "CREATE INDEX procurements_state_ref_idx ON procurements (state, reference)",
    "CREATE INDEX procurements_method_state_idx ON procurements (method, state)",
    "CREATE INDEX procurements_next_deadline_idx ON procurements (next_deadline_at)",
    # Overdue: few rows at any time, found by an index range on the instant they became so.
    """
    CREATE INDEX procurements_overdue_idx ON procurements (duty_overdue_at)
        WHERE duty_overdue_at IS NOT NULL
    """,
    # A state's tile is the list filtered to that state, nearest deadline first.
    """
    CREATE INDEX procurements_state_watch_idx
        ON procurements (state, (COALESCE(watch_at, 'infinity'::timestamptz)), reference)
    """,
    # How many procurements each agency has by method and state, kept by the writes to the
    # read model: the counts per state are a sum over at most agencies x 6 x 7 rows, however
    # many procurements there are.
    """
    CREATE TABLE procurement_counts (
        agency text NOT NULL,
        method text NOT NULL,
        state  text NOT NULL,
        n      bigint NOT NULL,
        PRIMARY KEY (agency, method, state)
    )
    """,
    """
    CREATE FUNCTION procurement_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE procurement_counts SET n = n - 1
             WHERE agency = OLD.agency AND method = OLD.method AND state = OLD.state;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO procurement_counts (agency, method, state, n)
            VALUES (NEW.agency, NEW.method, NEW.state, 1)
            ON CONFLICT (agency, method, state) DO UPDATE SET n = procurement_counts.n + 1;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER procurement_counts_insert AFTER INSERT ON procurements
        FOR EACH ROW EXECUTE FUNCTION procurement_counts_track()
    """,
    """
    CREATE TRIGGER procurement_counts_delete AFTER DELETE ON procurements
        FOR EACH ROW EXECUTE FUNCTION procurement_counts_track()
    """,
    """
    CREATE TRIGGER procurement_counts_update AFTER UPDATE ON procurements
        FOR EACH ROW
        WHEN (OLD.agency IS DISTINCT FROM NEW.agency OR OLD.method IS DISTINCT FROM NEW.method
              OR OLD.state IS DISTINCT FROM NEW.state)
        EXECUTE FUNCTION procurement_counts_track()
    """,
    """
    CREATE FUNCTION procurement_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM procurement_counts;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER procurement_counts_truncate AFTER TRUNCATE ON procurements
        FOR EACH STATEMENT EXECUTE FUNCTION procurement_counts_reset()
    """,
    """
    INSERT INTO procurement_counts (agency, method, state, n)
    SELECT agency, method, state, count(*) FROM procurements GROUP BY agency, method, state
    """,
    """
    CREATE INDEX procurements_protest_pending_idx
        ON procurements ((COALESCE(watch_at, 'infinity'::timestamptz)), reference)
        WHERE protest_pending
    """,
)

DOWNGRADE = (
    "DROP TRIGGER procurement_counts_truncate ON procurements",
    "DROP TRIGGER procurement_counts_update ON procurements",
    "DROP TRIGGER procurement_counts_delete ON procurements",
    "DROP TRIGGER procurement_counts_insert ON procurements",
    "DROP FUNCTION procurement_counts_reset()",
    "DROP FUNCTION procurement_counts_track()",
    "DROP TABLE procurement_counts",
    "DROP INDEX procurements_state_watch_idx",
    "DROP INDEX procurements_protest_pending_idx",
    "DROP INDEX procurements_overdue_idx",
    "DROP INDEX procurements_next_deadline_idx",
    "DROP INDEX procurements_method_state_idx",
    "DROP INDEX procurements_state_ref_idx",
    "DROP INDEX procurements_agency_ref_idx",
    "DROP INDEX procurements_updated_idx",
    "DROP INDEX procurements_watch_desc_idx",
    "DROP INDEX procurements_watch_asc_idx",
    """
    ALTER TABLE procurements
        DROP COLUMN protest_pending,
        DROP COLUMN watch_at,
        DROP COLUMN watch_name,
        DROP COLUMN duty_overdue_at,
        DROP COLUMN duty_due_at
    """,
    "DROP FUNCTION procure_first_duty(jsonb)",
    "DROP TYPE procure_duty",
    "DROP FUNCTION procure_excluded_day(date, jsonb)",
    "DROP FUNCTION procure_named_holiday(date)",
    "DROP FUNCTION procure_end_of_day(date)",
    "DROP FUNCTION procure_local_date(timestamptz)",
)


def upgrade() -> None:
    # asyncpg prepares each statement, so each runs on its own.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
