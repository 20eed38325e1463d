//! `zhunong backup` and `zhunong restore` for the SQLite database.
//!
//! A backup is `VACUUM INTO` on one connection: SQLite copies the database
//! as of one read transaction, so the copy is consistent while the server
//! runs and writes (WAL lets writers go on beside that reader), and it is
//! compact (no free pages, no WAL beside it). It is written under a
//! temporary name in the target's folder, synced, checked and only then
//! linked to its name — a backup that stopped half-way never looks like a
//! whole one, and an existing file is never overwritten.
//!
//! A restore puts a backup in place of the configured database while no
//! process has it open: it takes SQLite's exclusive lock on the database
//! first and refuses when that fails (a server still runs). The database it
//! replaces is kept beside it, renamed, never deleted. The backup is
//! checked first: a SQLite file that passes `quick_check`, with a
//! `_sqlx_migrations` table whose every migration this binary knows (a
//! backup of a newer version is refused, as `migrate` would refuse it).
//!
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`, point-in-time
//! recovery): both commands refuse a PostgreSQL URL with the steps
//! ([`POSTGRES_HELP`]; docs/DEPLOY.md, "Backups and restores").
//!
//! Like the rest of `db`, this module knows no domain table: only SQLite
//! and sqlx's migrations table.

use super::{Backend, SQLITE_MIGRATIONS, sqlite_path};
use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a PostgreSQL deployment uses instead of `zhunong backup`/`restore`.
pub const POSTGRES_HELP: &str = "\
DATABASE_URL names PostgreSQL: back it up and restore it with PostgreSQL's own tools, not with zhunong.
  backup (consistent while the servers run):
      pg_dump --format=custom --file=zhunong-$(date -u +%Y%m%dT%H%M%SZ).dump \"$DATABASE_URL\"
  restore (into a new, empty database, with every zhunong instance stopped):
      createdb zhunong_restored
      pg_restore --no-owner --exit-on-error --dbname=postgres://…/zhunong_restored zhunong-….dump
      then point DATABASE_URL at it, run `zhunong verify` and `zhunong reindex`, and start the instances
  for point-in-time recovery, archive the WAL (archive_mode, archive_command) and take base backups
  with pg_basebackup; see docs/DEPLOY.md, \"Backups and restores\".";

/// A backup that was written.
#[derive(Debug, Clone)]
pub struct Backup {
    /// The database that was copied.
    pub database: PathBuf,
    /// The backup file.
    pub file: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The newest migration it holds.
    pub migration: i64,
}

/// A restore that was done.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The database file now holding the backup.
    pub database: PathBuf,
    /// Where the database it replaced was moved, if there was one.
    pub replaced: Option<PathBuf>,
    /// The newest migration the backup holds.
    pub migration: i64,
}

/// The SQLite file a database URL names; a PostgreSQL URL is refused with
/// [`POSTGRES_HELP`].
fn sqlite_file(database_url: &str) -> anyhow::Result<PathBuf> {
    match Backend::from_url(database_url)? {
        Backend::Postgres => bail!("{POSTGRES_HELP}"),
        Backend::Sqlite => {
            sqlite_path(database_url).context("DATABASE_URL names an in-memory SQLite database: there is nothing to back up")
        }
    }
}

fn options(file: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new().filename(file).create_if_missing(false).busy_timeout(Duration::from_secs(10)).disable_statement_logging()
}

/// Syncs a file, then its folder (so its name is durable too).
fn sync(file: &Path) -> anyhow::Result<()> {
    std::fs::File::open(file).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", file.display()))?;
    sync_folder(file)
}

fn sync_folder(file: &Path) -> anyhow::Result<()> {
    let dir = folder(file);
    std::fs::File::open(&dir).and_then(|f| f.sync_all()).with_context(|| format!("syncing {}", dir.display()))
}

fn folder(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// `dir/.name.what-pid`: a temporary file beside `file`, on its file
/// system (so a rename or link into place is atomic).
fn beside(file: &Path, what: &str) -> PathBuf {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    folder(file).join(format!(".{name}.{what}-{}", std::process::id()))
}

/// Checks that `file` is a sound Zhunong database this binary can run on;
/// returns its newest migration.
async fn check(file: &Path) -> anyhow::Result<i64> {
    let what = file.display();
    let mut conn = SqliteConnection::connect_with(&options(file)).await.with_context(|| format!("{what}: not a SQLite database"))?;
    let result = async {
        let quick: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(&mut conn)
            .await
            .with_context(|| format!("{what}: not a SQLite database"))?;
        if quick != ["ok"] {
            bail!("{what} is damaged (SQLite's quick_check: {})", quick.join("; "));
        }
        let has_migrations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                .fetch_one(&mut conn)
                .await?;
        if has_migrations == 0 {
            bail!("{what} is not a Zhunong database (it has no _sqlx_migrations table)");
        }
        let applied: Vec<(i64, bool, Vec<u8>)> =
            sqlx::query_as("SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version").fetch_all(&mut conn).await?;
        let Some(&(newest, _, _)) = applied.last() else {
            bail!("{what} is not a Zhunong database (no migration was ever applied to it)");
        };
        for (version, success, checksum) in &applied {
            match SQLITE_MIGRATIONS.iter().find(|m| m.version == *version) {
                None => {
                    bail!("{what} was made by a newer Zhunong (migration {version} is unknown to this one): restore it with that version")
                }
                Some(m) if *m.checksum != checksum[..] => {
                    bail!("{what} has a migration {version} unlike this version's: it was not made by this Zhunong")
                }
                Some(_) if !success => bail!("{what} holds a failed migration {version}"),
                Some(_) => {}
            }
        }
        Ok(newest)
    }
    .await;
    conn.close().await.ok();
    result
}

/// Copies the SQLite database `database_url` names into the new file `to`,
/// consistently, while the server may be running and writing.
pub async fn backup(database_url: &str, to: &Path) -> anyhow::Result<Backup> {
    let database = sqlite_file(database_url)?;
    if !database.is_file() {
        bail!("there is no database at {} (check DATABASE_URL or ZHUNONG_DATA_DIR)", database.display());
    }
    if to.exists() {
        bail!("{} exists already: a backup never overwrites a file; name a new one", to.display());
    }
    if !folder(to).is_dir() {
        bail!("{}: no such folder to write the backup in", folder(to).display());
    }
    let partial = beside(to, "partial");
    let _ = std::fs::remove_file(&partial);
    let written = async {
        let mut conn =
            SqliteConnection::connect_with(&options(&database)).await.with_context(|| format!("opening {}", database.display()))?;
        // One read transaction: the copy is the database as of its start,
        // whatever commits meanwhile.
        let vacuum = sqlx::query("VACUUM INTO ?").bind(partial.to_string_lossy().into_owned()).execute(&mut conn).await;
        conn.close().await.ok();
        vacuum.with_context(|| format!("copying {} (VACUUM INTO)", database.display()))?;
        // VACUUM INTO does not sync what it writes.
        sync(&partial)?;
        check(&partial).await
    }
    .await;
    let migration = match written {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    // A hard link gives the backup its name only if that name is still
    // free (rename would overwrite a file created meanwhile).
    let linked = std::fs::hard_link(&partial, to);
    let _ = std::fs::remove_file(&partial);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} exists already: a backup never overwrites a file; name a new one", to.display())
        }
        Err(e) => return Err(e).with_context(|| format!("naming the backup {}", to.display())),
    }
    sync_folder(to)?;
    let bytes = std::fs::metadata(to)?.len();
    Ok(Backup { database, file: to.to_owned(), bytes, migration })
}

/// Fails unless no other connection has the SQLite database `file` open:
/// SQLite's exclusive lock, asked for without waiting. Closing the
/// connection then folds the WAL into the file, so what is moved aside is
/// one self-contained file.
///
/// A running server is always seen: its indexer reads the outbox every
/// second, and its pool closes a connection only after ten idle minutes,
/// so it always has the database open. What this cannot see is a server
/// started after the check: restore with the servers stopped, and start
/// them afterwards.
async fn ensure_not_in_use(file: &Path) -> anyhow::Result<()> {
    let opts = options(file).busy_timeout(Duration::ZERO).locking_mode(SqliteLockingMode::Exclusive);
    let locked = async {
        let mut conn = SqliteConnection::connect_with(&opts).await?;
        let taken = async {
            sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await?;
            sqlx::query("COMMIT").execute(&mut conn).await
        }
        .await;
        conn.close().await.ok();
        taken.map(|_| ())
    }
    .await;
    match locked {
        Ok(()) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.message().contains("locked") || e.message().contains("busy") => {
            bail!("{} is in use: stop every zhunong process on it (the server, a backup) and restore again", file.display())
        }
        Err(e) => Err(e).with_context(|| format!("locking {}", file.display())),
    }
}

/// Puts the backup `from` in place of the SQLite database `database_url`
/// names. The database must not be in use; the one replaced is kept
/// beside it as `<name>.before-restore-<UTC time>`.
pub async fn restore(database_url: &str, from: &Path) -> anyhow::Result<Restored> {
    let database = sqlite_file(database_url)?;
    if !from.is_file() {
        bail!("{}: no such backup file", from.display());
    }
    if database.exists() && std::fs::canonicalize(&database)? == std::fs::canonicalize(from)? {
        bail!("{} is the database itself, not a backup of it", from.display());
    }
    std::fs::create_dir_all(folder(&database)).with_context(|| format!("creating {}", folder(&database).display()))?;
    // The backup is copied beside the database first and checked there:
    // what is checked is what is put in place, and the backup itself is
    // only ever read.
    let staging = beside(&database, "restoring");
    let _ = std::fs::remove_file(&staging);
    let staged = async {
        std::fs::copy(from, &staging).with_context(|| format!("copying {}", from.display()))?;
        let migration = check(&staging).await?;
        sync(&staging)?;
        Ok::<i64, anyhow::Error>(migration)
    }
    .await;
    let migration = match staged {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
    };
    let mut replaced = None;
    if database.exists() {
        if let Err(e) = ensure_not_in_use(&database).await {
            let _ = std::fs::remove_file(&staging);
            return Err(e);
        }
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
            .context("formatting the time")?;
        let name = database.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let kept = folder(&database).join(format!("{name}.before-restore-{stamp}"));
        std::fs::rename(&database, &kept).with_context(|| format!("moving {} aside", database.display()))?;
        replaced = Some(kept);
    }
    // No WAL or shared-memory file of the database replaced may meet the
    // one restored: SQLite would read the old WAL's pages into it. A clean
    // close removed them; a crash may have left them.
    for suffix in ["-wal", "-shm"] {
        let mut side = database.clone().into_os_string();
        side.push(suffix);
        let side = PathBuf::from(side);
        if side.exists() {
            match &replaced {
                Some(kept) => {
                    let mut to = kept.clone().into_os_string();
                    to.push(suffix);
                    std::fs::rename(&side, PathBuf::from(to))?
                }
                None => std::fs::remove_file(&side)?,
            }
        }
    }
    std::fs::rename(&staging, &database).with_context(|| format!("putting the backup in place of {}", database.display()))?;
    sync_folder(&database)?;
    Ok(Restored { database, replaced, migration })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_postgresql_url_is_told_to_use_pg_dump() {
        let e = backup("postgres://u@localhost/z", Path::new("/tmp/x.db")).await.unwrap_err().to_string();
        assert!(e.contains("pg_dump"), "{e}");
        let e = restore("postgres://u@localhost/z", Path::new("/tmp/x.db")).await.unwrap_err().to_string();
        assert!(e.contains("pg_restore"), "{e}");
    }
}
