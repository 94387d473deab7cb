using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Schema versions, applied in order when the database opens; PRAGMA user_version records the last one.
/// Append new versions at the end; never edit one that has shipped.
/// </summary>
internal static class Schema
{
    private static readonly string[] Versions =
    {
        // 1: projects, deployments and their stages, runner leases.
        """
        CREATE TABLE projects (
            name TEXT PRIMARY KEY,
            repository TEXT NOT NULL,
            branch TEXT NOT NULL,
            path TEXT NOT NULL,
            port INTEGER,
            install_timeout_ms INTEGER NOT NULL,
            health_timeout_ms INTEGER NOT NULL,
            status TEXT NOT NULL,
            current_commit TEXT,
            last_good_commit TEXT,
            pinned_commit TEXT,
            install_hash TEXT,
            service_user TEXT,
            allow_sudo INTEGER NOT NULL DEFAULT 0,
            app_pid INTEGER,
            app_pgid INTEGER,
            app_start_ticks INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE deployments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
            commit_sha TEXT,
            requested_commit TEXT,
            branch TEXT NOT NULL,
            trigger TEXT NOT NULL,
            status TEXT NOT NULL,
            stage TEXT,
            reason TEXT,
            force_install INTEGER NOT NULL DEFAULT 0,
            rolled_back_to TEXT,
            superseded_by INTEGER,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            runner TEXT,
            child_pgid INTEGER,
            queued_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            log_path TEXT NOT NULL
        );
        CREATE INDEX deployments_by_project ON deployments(project, id);
        CREATE INDEX deployments_by_status ON deployments(status);
        CREATE TABLE deployment_stages (
            deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            stage TEXT NOT NULL,
            rollback INTEGER NOT NULL DEFAULT 0,
            started_at INTEGER NOT NULL,
            finished_at INTEGER,
            exit_code INTEGER,
            outcome TEXT NOT NULL,
            detail TEXT,
            PRIMARY KEY (deployment_id, seq)
        );
        CREATE TABLE leases (
            project TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        );
        """,
        // 2: project secrets, AES-256-GCM encrypted (see Secrets/SecretStore); values never stored in clear.
        """
        CREATE TABLE secrets (
            project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
            name TEXT NOT NULL,
            nonce BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            tag BLOB NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (project, name)
        );
        """,
        // 3: webhook deliveries. Only accepted deliveries claim (provider, delivery_id), so a forged or
        // mis-signed request can never burn the id of a real one; the partial unique index makes the
        // duplicate check atomic.
        """
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY,
            provider TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            event TEXT NOT NULL,
            accepted INTEGER NOT NULL,
            repository TEXT,
            ref TEXT,
            commit_sha TEXT,
            signature TEXT NOT NULL,
            outcome TEXT NOT NULL,
            status_code INTEGER NOT NULL,
            detail TEXT,
            received_at INTEGER NOT NULL,
            completed_at INTEGER
        );
        CREATE UNIQUE INDEX webhook_deliveries_unique ON webhook_deliveries(provider, delivery_id) WHERE accepted = 1;
        """,
        // 4: sudo grants name their commands (one a line). A project that allowed sudo before granted
        // everything, so it keeps exactly that ("ALL", warned about at every install) until narrowed;
        // allow_sudo is no longer read.
        """
        ALTER TABLE projects ADD COLUMN sudo_commands TEXT;
        UPDATE projects SET sudo_commands = 'ALL' WHERE allow_sudo = 1;
        """,
        // 5: pipeline runs (issue 15), recorded when they finish, with one row per step. Logs stay files under
        // logs/<project>/pipelines/<run>/; these rows hold where.
        """
        CREATE TABLE pipeline_runs (
            id TEXT PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
            commit_sha TEXT NOT NULL,
            event TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            started_at INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL,
            log_dir TEXT NOT NULL
        );
        CREATE INDEX pipeline_runs_project ON pipeline_runs(project, started_at);
        CREATE TABLE pipeline_steps (
            run_id TEXT NOT NULL REFERENCES pipeline_runs(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            exit_code INTEGER,
            duration_ms INTEGER NOT NULL,
            reason TEXT,
            log_path TEXT,
            PRIMARY KEY (run_id, idx)
        );
        """,
        // 6: release directories. keep_releases 0 keeps the one in-place working tree; shared_paths one a line.
        // A release row is one directory under <path>/releases, with what its commit records for the scripts
        // (so a rollback to it needs no git) and when install.sh last succeeded in it.
        """
        ALTER TABLE projects ADD COLUMN keep_releases INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE projects ADD COLUMN shared_paths TEXT;
        CREATE TABLE releases (
            project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
            name TEXT NOT NULL,
            commit_sha TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            installed_at INTEGER,
            install_object TEXT,
            has_run INTEGER NOT NULL,
            has_health INTEGER NOT NULL,
            PRIMARY KEY (project, name)
        );
        """,
        // 7: requests answered before their signature held are counted per (provider, status), not stored one row
        // each (a flood must not grow the database). received_at is not indexed: an index would cost every delivery a
        // page write, while the retention scan runs once a minute over a table retention keeps small.
        """
        CREATE TABLE webhook_unverified (
            provider TEXT NOT NULL,
            status_code INTEGER NOT NULL,
            count INTEGER NOT NULL,
            first_at INTEGER NOT NULL,
            last_at INTEGER NOT NULL,
            PRIMARY KEY (provider, status_code)
        );
        """,
        // v8: the listener's watchdog and sampler: a health-check interval per project, where the serving app runs and
        // whether its commit has health.sh (recorded at each healthy bring-up), and the watchdog's event log (read with
        // an after-id cursor).
        """
        ALTER TABLE projects ADD COLUMN health_interval_ms INTEGER;
        ALTER TABLE projects ADD COLUMN app_dir TEXT;
        ALTER TABLE projects ADD COLUMN app_has_health INTEGER;
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project TEXT NOT NULL,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            deployment_id INTEGER
        );
        CREATE INDEX events_by_project ON events(project, id);
        CREATE INDEX deployments_watchdog ON deployments(project, id) WHERE trigger = 'Watchdog';
        """,
        // v9: API tokens for the listener's /api endpoints. Only a SHA-256 of the secret part is stored; the token names
        // its row (cicd_<id>_<secret>), so checking one is a lookup by id and a constant-time comparison of hashes.
        """
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            scope TEXT NOT NULL,
            secret_sha256 BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            revoked_at INTEGER,
            last_used_at INTEGER
        );
        """,
        // v10: projects may require a green pipeline run before a deploy (require_pipeline); pipeline runs recorded from
        // their start (status Running) so other processes can list, follow and cancel them: a cancel request is a flag
        // the running process polls; runner_pid/runner_start tell a run whose process died from one still going.
        """
        ALTER TABLE pipeline_runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE pipeline_runs ADD COLUMN runner_pid INTEGER;
        ALTER TABLE pipeline_runs ADD COLUMN runner_start INTEGER;
        ALTER TABLE projects ADD COLUMN require_pipeline INTEGER NOT NULL DEFAULT 0;
        """,
        // v11: notifications (issue 16). Channels keep their URL, signing secret and SMTP password sealed (AES-256-GCM,
        // bound to "@notify"/name); the outbox is written in the same transaction as the event it reports; the sender
        // fans each event out to the channels it matches as deliveries, folding repeats (throttle) into summaries.
        """
        CREATE TABLE notification_channels (
            name TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            events TEXT,
            projects TEXT,
            min_interval_ms INTEGER NOT NULL,
            settings TEXT NOT NULL,
            nonce BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            tag BLOB NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            retry_at INTEGER,
            failing_since INTEGER,
            last_error TEXT,
            reported_dead INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE notification_outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            project TEXT,
            node TEXT NOT NULL,
            commit_sha TEXT,
            commit_url TEXT,
            reason TEXT,
            subject TEXT,
            command TEXT,
            count INTEGER NOT NULL DEFAULT 1,
            created_at INTEGER NOT NULL,
            dispatched_at INTEGER
        );
        CREATE INDEX notification_outbox_pending ON notification_outbox(id) WHERE dispatched_at IS NULL;
        CREATE TABLE notification_deliveries (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL REFERENCES notification_channels(name) ON DELETE CASCADE,
            event_id INTEGER REFERENCES notification_outbox(id) ON DELETE SET NULL,
            kind TEXT NOT NULL,
            project TEXT,
            status TEXT NOT NULL,
            repeats INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            sent_at INTEGER
        );
        CREATE INDEX notification_deliveries_pending ON notification_deliveries(channel, id) WHERE status = 'Pending';
        CREATE INDEX notification_deliveries_by_channel ON notification_deliveries(channel, id);
        CREATE TABLE notification_throttle (
            channel TEXT NOT NULL REFERENCES notification_channels(name) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            project TEXT NOT NULL,
            last_sent_at INTEGER NOT NULL,
            suppressed INTEGER NOT NULL DEFAULT 0,
            first_suppressed_at INTEGER,
            last_message TEXT,
            PRIMARY KEY (channel, kind, project)
        );
        """,
        // v12: pipeline triggers and commit statuses (issue 15). A project subscribes to the events that run its pipeline
        // (comma-separated: push, pull_request, tag; push by default) and may name its forge's API base for commit statuses
        // (the token is a sealed secret, "@status-token"). A run queued by a webhook keeps what the delivery said (context,
        // JSON) so the process that runs it later has it; supersede_key ("push:BRANCH", "pr:N") says which waiting run a
        // newer one replaces.
        """
        ALTER TABLE projects ADD COLUMN pipeline_events TEXT NOT NULL DEFAULT 'push';
        ALTER TABLE projects ADD COLUMN status_api TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN context TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN supersede_key TEXT;
        """,
        // v13: the web dashboard (issue 14). One-time login links and the sessions they open; only SHA-256 of each
        // secret is stored (the id is in the link/cookie, so a check is a lookup and a constant-time comparison).
        """
        CREATE TABLE dashboard_logins (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            role TEXT NOT NULL,
            secret_sha256 BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER
        );
        CREATE TABLE dashboard_sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            role TEXT NOT NULL,
            secret_sha256 BLOB NOT NULL,
            login_id INTEGER,
            client TEXT,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            last_seen_at INTEGER,
            revoked_at INTEGER
        );
        """,
        // v14: a project's zero-downtime proxy setting (issue 11), moved from the root-only file <data>/proxy/<project>;
        // ProxyStore moves any such file into this table the first time it reads proxies.
        """
        CREATE TABLE project_proxies (
            project TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            first_port INTEGER NOT NULL,
            second_port INTEGER NOT NULL,
            upstream_file TEXT NOT NULL,
            nginx TEXT NOT NULL,
            nginx_config TEXT,
            caddy_admin TEXT,
            caddy_route TEXT,
            drain_ms INTEGER NOT NULL,
            active_port INTEGER
        );
        """,
        // v15: pipeline caches (one per project and key) and artifacts (one per run and key), each a tar archive under
        // the data directory named by a hash of its key; last_used_at orders the least-recently-used eviction. A failed
        // run's workspace is kept until workspace_until for debugging.
        """
        CREATE TABLE pipeline_caches (
            project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
            key TEXT NOT NULL,
            file TEXT NOT NULL,
            run_id TEXT NOT NULL,
            step_idx INTEGER NOT NULL,
            size_bytes INTEGER NOT NULL,
            file_count INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (project, key)
        );
        CREATE TABLE pipeline_artifacts (
            project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
            run_id TEXT NOT NULL,
            key TEXT NOT NULL,
            file TEXT NOT NULL,
            step_idx INTEGER NOT NULL,
            size_bytes INTEGER NOT NULL,
            file_count INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (run_id, key)
        );
        CREATE INDEX pipeline_artifacts_by_project ON pipeline_artifacts(project, created_at);
        ALTER TABLE pipeline_runs ADD COLUMN workspace TEXT;
        ALTER TABLE pipeline_runs ADD COLUMN workspace_until INTEGER;
        """,
    };

    public static int LatestVersion => Versions.Length;

    /// <summary>The SQL of one shipped version (1-based), for tests that build an old database and upgrade it.</summary>
    internal static string Script(int version) => Versions[version - 1];

    public static void Upgrade(SqliteConnection c)
    {
        using (var begin = c.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE"; begin.ExecuteNonQuery(); }
        using var get = c.CreateCommand();
        get.CommandText = "PRAGMA user_version";
        var current = Convert.ToInt32(get.ExecuteScalar());
        for (var v = current; v < Versions.Length; v++)
        {
            using var apply = c.CreateCommand();
            apply.CommandText = Versions[v] + $"\nPRAGMA user_version = {v + 1};";
            apply.ExecuteNonQuery();
        }
        using var commit = c.CreateCommand();
        commit.CommandText = "COMMIT";
        commit.ExecuteNonQuery();
    }
}
