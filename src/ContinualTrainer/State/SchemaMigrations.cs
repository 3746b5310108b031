namespace ContinualTrainer.State;

/// <summary>
/// The state database's schema history. Append new steps at the end; never edit a released step —
/// databases in the field have already applied it.
/// </summary>
public static class SchemaMigrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "daemon bookkeeping", """
            CREATE TABLE meta (
                key   TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            CREATE TABLE daemon_events (
                id         INTEGER PRIMARY KEY,
                at_utc     TEXT NOT NULL,
                kind       TEXT NOT NULL,
                detail     TEXT NOT NULL DEFAULT ''
            ) STRICT;
            """),
        new(2, "checkpoint versions, uploads, publications and rollbacks", """
            CREATE TABLE checkpoint_versions (
                version               INTEGER PRIMARY KEY CHECK (version >= 0),
                parent                INTEGER CHECK (parent IS NULL OR parent < version),
                kind                  TEXT NOT NULL CHECK (kind IN ('base', 'full', 'lora')),
                self_contained        INTEGER NOT NULL CHECK (self_contained IN (0, 1)),
                run_id                TEXT,
                created_utc           TEXT NOT NULL,
                file_count            INTEGER NOT NULL,
                bytes                 INTEGER NOT NULL,
                manifest_sha256       TEXT NOT NULL,
                general_perplexity    REAL,
                rejected              TEXT,
                pruned_utc            TEXT,
                remote_delete_pending INTEGER NOT NULL DEFAULT 0 CHECK (remote_delete_pending IN (0, 1))
            ) STRICT;
            CREATE TABLE checkpoint_uploads (
                version          INTEGER PRIMARY KEY REFERENCES checkpoint_versions(version),
                state            TEXT NOT NULL CHECK (state IN ('pending', 'uploading', 'verified', 'failed')),
                attempts         INTEGER NOT NULL DEFAULT 0,
                bytes            INTEGER NOT NULL,
                incoming         TEXT,
                last_error       TEXT,
                next_attempt_utc TEXT,
                updated_utc      TEXT NOT NULL
            ) STRICT;
            CREATE INDEX checkpoint_uploads_by_state ON checkpoint_uploads(state);
            CREATE TABLE checkpoint_publications (
                id       INTEGER PRIMARY KEY,
                at_utc   TEXT NOT NULL,
                store    TEXT NOT NULL CHECK (store IN ('local', 'ssh')),
                version  INTEGER NOT NULL REFERENCES checkpoint_versions(version),
                previous INTEGER,
                cause    TEXT NOT NULL CHECK (cause IN ('base', 'publish', 'rollback', 'sync'))
            ) STRICT;
            CREATE TABLE checkpoint_rollbacks (
                id           INTEGER PRIMARY KEY,
                at_utc       TEXT NOT NULL,
                from_version INTEGER,
                to_version   INTEGER NOT NULL REFERENCES checkpoint_versions(version),
                reason       TEXT NOT NULL CHECK (reason IN ('manual', 'post_publish_check', 'startup_fallback')),
                who          TEXT NOT NULL,
                why          TEXT NOT NULL
            ) STRICT;
            """),
        new(3, "ingestion: source files, canonical conversations, agent-log events", """
            CREATE TABLE ingest_sequence (
                id    INTEGER PRIMARY KEY CHECK (id = 1),
                value INTEGER NOT NULL CHECK (value >= 0)
            ) STRICT;
            INSERT INTO ingest_sequence(id, value) VALUES (1, 0);
            CREATE TABLE source_files (
                id                INTEGER PRIMARY KEY,
                path              TEXT NOT NULL UNIQUE,
                source_name       TEXT NOT NULL,
                category          TEXT NOT NULL CHECK (category IN ('agent-log', 'transcript')),
                format            TEXT CHECK (format IN ('openai', 'sharegpt', 'agent-log', 'text')),
                device            INTEGER NOT NULL,
                inode             INTEGER NOT NULL,
                size              INTEGER NOT NULL CHECK (size >= 0),
                mtime_ns          INTEGER NOT NULL,
                read_offset       INTEGER NOT NULL CHECK (read_offset >= 0),
                next_line         INTEGER NOT NULL CHECK (next_line >= 1),
                head_sha256       TEXT NOT NULL,
                content_sha256    TEXT NOT NULL,
                state             TEXT NOT NULL CHECK (state IN ('active', 'complete', 'quarantined', 'archived', 'duplicate')),
                reason            TEXT,
                duplicate_of      INTEGER REFERENCES source_files(id),
                lines_skipped     INTEGER NOT NULL DEFAULT 0,
                conversations     INTEGER NOT NULL DEFAULT 0,
                passes            INTEGER NOT NULL DEFAULT 0,
                first_seen_utc    TEXT NOT NULL,
                last_ingested_utc TEXT,
                state_changed_utc TEXT NOT NULL
            ) STRICT;
            CREATE INDEX source_files_by_inode ON source_files(device, inode);
            CREATE INDEX source_files_by_source_name ON source_files(source_name);
            CREATE INDEX source_files_by_content ON source_files(content_sha256);
            CREATE INDEX source_files_by_state ON source_files(state);
            CREATE INDEX source_files_by_last_ingested ON source_files(last_ingested_utc);
            CREATE TABLE skipped_lines (
                source_file_id INTEGER NOT NULL REFERENCES source_files(id),
                line           INTEGER NOT NULL,
                reason         TEXT NOT NULL,
                PRIMARY KEY (source_file_id, line)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE conversations (
                id               INTEGER PRIMARY KEY,
                category         TEXT NOT NULL CHECK (category IN ('agent-log', 'transcript')),
                conversation_key TEXT NOT NULL,
                session_id       TEXT,
                source_file_id   INTEGER NOT NULL REFERENCES source_files(id),
                source_file      TEXT NOT NULL,
                format           TEXT NOT NULL CHECK (format IN ('openai', 'sharegpt', 'agent-log', 'text')),
                first_line       INTEGER NOT NULL,
                last_line        INTEGER NOT NULL,
                message_count    INTEGER NOT NULL,
                content_sha256   TEXT NOT NULL,
                canonical_json   BLOB NOT NULL,
                seq              INTEGER NOT NULL UNIQUE,
                revision         INTEGER NOT NULL,
                created_utc      TEXT NOT NULL,
                updated_utc      TEXT NOT NULL,
                UNIQUE (category, conversation_key)
            ) STRICT;
            CREATE INDEX conversations_by_source_file ON conversations(source_file_id);
            CREATE TABLE agent_log_events (
                category    TEXT NOT NULL,
                session_key TEXT NOT NULL,
                event_key   TEXT NOT NULL,
                PRIMARY KEY (category, session_key, event_key)
            ) STRICT, WITHOUT ROWID;
            """),
        new(4, "dataset: decision examples per tokenizer fingerprint, training-set snapshots", """
            CREATE TABLE dataset_fingerprints (
                id            INTEGER PRIMARY KEY,
                fingerprint   TEXT NOT NULL UNIQUE,
                chat_format   TEXT NOT NULL CHECK (chat_format IN ('chatml', 'llama3', 'plain')),
                description   TEXT NOT NULL,
                watermark_seq INTEGER NOT NULL DEFAULT 0 CHECK (watermark_seq >= 0),
                created_utc   TEXT NOT NULL,
                derived_utc   TEXT
            ) STRICT;
            CREATE TABLE dataset_conversations (
                fingerprint_id   INTEGER NOT NULL REFERENCES dataset_fingerprints(id),
                conversation_id  INTEGER NOT NULL,
                conversation_seq INTEGER NOT NULL,
                decisions        INTEGER NOT NULL CHECK (decisions >= 0),
                examples         INTEGER NOT NULL CHECK (examples >= 0),
                duplicates       INTEGER NOT NULL CHECK (duplicates >= 0),
                too_short        INTEGER NOT NULL CHECK (too_short >= 0),
                truncated        INTEGER NOT NULL CHECK (truncated >= 0),
                PRIMARY KEY (fingerprint_id, conversation_id)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE dataset_examples (
                id               INTEGER PRIMARY KEY AUTOINCREMENT,
                fingerprint_id   INTEGER NOT NULL REFERENCES dataset_fingerprints(id),
                conversation_id  INTEGER NOT NULL,
                turn_index       INTEGER NOT NULL CHECK (turn_index >= 0),
                conversation_seq INTEGER NOT NULL,
                tokens           BLOB NOT NULL,
                decision_start   INTEGER NOT NULL CHECK (decision_start >= 0),
                decision_length  INTEGER NOT NULL CHECK (decision_length >= 1),
                truncated        INTEGER NOT NULL CHECK (truncated IN (0, 1)),
                content_sha256   TEXT NOT NULL,
                decision_sha256  TEXT NOT NULL,
                decision_text    TEXT NOT NULL,
                minhash          BLOB NOT NULL,
                category         TEXT NOT NULL CHECK (category IN ('agent-log', 'transcript')),
                session_id       TEXT,
                source_file_id   INTEGER NOT NULL,
                source_file      TEXT NOT NULL,
                created_utc      TEXT NOT NULL,
                retired_seq      INTEGER,
                CHECK (length(tokens) = 4 * (decision_start + decision_length))
            ) STRICT;
            CREATE UNIQUE INDEX dataset_examples_live_content ON dataset_examples(fingerprint_id, content_sha256) WHERE retired_seq IS NULL;
            CREATE INDEX dataset_examples_by_conversation ON dataset_examples(fingerprint_id, conversation_id);
            CREATE TRIGGER dataset_examples_immutable
                BEFORE UPDATE OF id, fingerprint_id, conversation_id, turn_index, conversation_seq, tokens, decision_start,
                    decision_length, truncated, content_sha256, decision_sha256, decision_text, minhash, category, session_id,
                    source_file_id, source_file, created_utc ON dataset_examples
                BEGIN SELECT RAISE(ABORT, 'dataset examples are immutable (only retired_seq is ever set)'); END;
            CREATE TABLE dataset_snapshots (
                id                    INTEGER PRIMARY KEY,
                fingerprint_id        INTEGER NOT NULL REFERENCES dataset_fingerprints(id),
                seed                  INTEGER NOT NULL,
                created_utc           TEXT NOT NULL,
                settings              TEXT NOT NULL,
                general_corpus        TEXT,
                general_corpus_sha256 TEXT,
                summary               TEXT NOT NULL,
                accepted_utc          TEXT
            ) STRICT;
            CREATE TABLE dataset_snapshot_items (
                snapshot_id   INTEGER NOT NULL REFERENCES dataset_snapshots(id),
                position      INTEGER NOT NULL CHECK (position >= 0),
                kind          TEXT NOT NULL CHECK (kind IN ('train', 'rehearsal', 'replay', 'validation')),
                example_id    INTEGER REFERENCES dataset_examples(id),
                window_offset INTEGER CHECK (window_offset >= 0),
                window_tokens INTEGER CHECK (window_tokens >= 1),
                PRIMARY KEY (snapshot_id, position),
                CHECK ((kind = 'replay') = (example_id IS NULL)),
                CHECK ((kind = 'replay') = (window_offset IS NOT NULL AND window_tokens IS NOT NULL))
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX dataset_snapshot_items_by_example ON dataset_snapshot_items(example_id) WHERE example_id IS NOT NULL;
            CREATE TRIGGER dataset_snapshots_immutable
                BEFORE UPDATE OF id, fingerprint_id, seed, created_utc, settings, general_corpus, general_corpus_sha256, summary ON dataset_snapshots
                BEGIN SELECT RAISE(ABORT, 'dataset snapshots are immutable (only accepted_utc is ever set)'); END;
            CREATE TRIGGER dataset_snapshots_kept BEFORE DELETE ON dataset_snapshots
                BEGIN SELECT RAISE(ABORT, 'dataset snapshots are never deleted'); END;
            CREATE TRIGGER dataset_snapshot_items_no_update BEFORE UPDATE ON dataset_snapshot_items
                BEGIN SELECT RAISE(ABORT, 'dataset snapshots are immutable'); END;
            CREATE TRIGGER dataset_snapshot_items_no_delete BEFORE DELETE ON dataset_snapshot_items
                BEGIN SELECT RAISE(ABORT, 'dataset snapshots are immutable'); END;
            """),
        new(5, "training runs, their phases, run requests and the adaptation after rejections", """
            CREATE TABLE training_runs (
                id              INTEGER PRIMARY KEY,
                trigger         TEXT NOT NULL CHECK (trigger IN ('schedule', 'misfire', 'manual')),
                requested_by    TEXT NOT NULL DEFAULT '',
                result          TEXT NOT NULL CHECK (result IN ('running', 'accepted', 'rejected', 'failed', 'interrupted', 'skipped')),
                phase           TEXT NOT NULL,
                started_utc     TEXT NOT NULL,
                finished_utc    TEXT,
                seconds         REAL,
                snapshot_id     INTEGER REFERENCES dataset_snapshots(id),
                version_before  INTEGER,
                version_after   INTEGER,
                settings        TEXT NOT NULL,
                adaptation      TEXT NOT NULL,
                eval_before     TEXT,
                eval_after      TEXT,
                verdict         TEXT,
                step            INTEGER NOT NULL DEFAULT 0,
                total_steps     INTEGER NOT NULL DEFAULT 0,
                train_tokens    INTEGER NOT NULL DEFAULT 0,
                last_loss       REAL,
                tokens_per_s    REAL,
                detail          TEXT NOT NULL DEFAULT ''
            ) STRICT;
            CREATE INDEX training_runs_by_result ON training_runs(result, id);
            CREATE TABLE training_run_phases (
                run_id        INTEGER NOT NULL REFERENCES training_runs(id),
                phase         TEXT NOT NULL,
                started_utc   TEXT NOT NULL,
                finished_utc  TEXT,
                seconds       REAL,
                detail        TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (run_id, phase)
            ) STRICT, WITHOUT ROWID;
            CREATE TABLE training_requests (
                id              INTEGER PRIMARY KEY,
                requested_utc   TEXT NOT NULL,
                requested_by    TEXT NOT NULL,
                claimed_run_id  INTEGER REFERENCES training_runs(id),
                claimed_utc     TEXT
            ) STRICT;
            CREATE TABLE training_adaptation (
                id                    INTEGER PRIMARY KEY CHECK (id = 1),
                rejections            INTEGER NOT NULL,
                learning_rate_factor  REAL NOT NULL,
                replay_fraction       REAL NOT NULL,
                updated_utc           TEXT NOT NULL
            ) STRICT;
            """),
    ];

    public static int LatestVersion => All[^1].Version;
}
