//! `napoleon`: the one binary of the platform.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use napoleon::app::ServiceName;
use napoleon::commands::{self, CliError, DemoOptions};
use napoleon::config::{Config, LogFormatConfig};
use napoleon_telemetry::LogFormat;

/// Napoléon: honorary distinctions for French ministries.
#[derive(Parser, Debug)]
#[command(name = "napoleon", version, about, long_about = None)]
struct Cli {
    /// TOML configuration file (layered over the defaults; NAPOLEON__SECTION__KEY variables
    /// override it).
    #[arg(long, env = "NAPOLEON_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve one service, or all of them in one process.
    Serve {
        /// Which service to run.
        #[arg(value_enum)]
        service: ServiceName,
    },
    /// Apply pending database migrations (as the owner role: database.owner_url).
    Migrate,
    /// Start everything locally: a managed PostgreSQL, demo tenants, all services on one port.
    Demo {
        /// Directory of the managed PostgreSQL cluster [default: demo.data_dir, ./.napoleon].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// TCP port of the managed PostgreSQL [default: demo.port, 54329].
        #[arg(long)]
        port: Option<u16>,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Audit the journal.
    Journal {
        #[command(subcommand)]
        action: JournalAction,
    },
    /// The statutory eligibility engine and its catalogue (see docs/rules.md).
    Rules {
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Platform operators: added with the e-mail and the provider they log in through, pinned
    /// to that provider's subject at their first login.
    Operators {
        #[command(subcommand)]
        action: OperatorsAction,
    },
    /// Bulk imports into a tenant.
    Import {
        #[command(subcommand)]
        action: ImportAction,
    },
    /// Tenants' settings.
    Tenants {
        #[command(subcommand)]
        action: TenantsAction,
    },
    /// Signing keys: the platform's (keys.signing_key) and the identity assertion's
    /// (assertion.signing_key), same format.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Subcommand, Debug)]
enum JobsAction {
    /// Run a job now in a tenant, showing its progress (e.g. `readlog.purge`).
    Run {
        /// The job's kind.
        kind: String,
        /// The tenant's slug, e.g. `interieur`.
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
enum ImportAction {
    /// Import laureates, their awards and careers into the tenant's registry from a CSV
    /// (UTF-8 or Windows-1252, `;` or `,`), an XLSX or an ODS laid out as the template
    /// (`napoleon import template`). In batches; after a crash, the same command on the same
    /// file resumes after the last committed batch. The same file twice adds nothing.
    Registry {
        /// The tenant's slug, e.g. `interieur`.
        #[arg(long)]
        tenant: String,
        /// Check the file only: the full report, nothing written.
        #[arg(long)]
        verifier: bool,
        /// Write the line-level report (row, column, value, reason) there, as CSV.
        #[arg(long)]
        rapport: Option<PathBuf>,
        /// Rows per batch (one transaction and one journal event each).
        #[arg(long, default_value_t = napoleon_decisions::registry_import::DEFAULT_BATCH)]
        lot: usize,
        /// The file.
        file: PathBuf,
    },
    /// Undo an import as a whole (while no dossier or later record depends on it).
    Undo {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The import's id (printed by the import).
        id: String,
    },
    /// Print the registry's template (CSV, UTF-8 with a BOM, `;`).
    Template,
}

#[derive(Subcommand, Debug)]
enum TenantsAction {
    /// Opt a tenant in or out of the cross-ministry lookup of proposals: whether another
    /// ministry proposed the same person for the same promotion (docs/cross-ministry.md).
    CrossMinistry {
        /// The tenant's slug, e.g. `interieur`.
        #[arg(long)]
        tenant: String,
        /// `on` or `off`.
        #[arg(value_enum)]
        state: OnOff,
    },
}

/// A setting's two states.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OnOff {
    On,
    Off,
}

#[derive(Subcommand, Debug)]
enum OperatorsAction {
    /// Add an operator: the e-mail, once, and the configured provider (`oidc.providers[].name`)
    /// their first login must come through; that login pins them to its subject.
    Add {
        /// Their e-mail.
        email: String,
        /// The provider's name, e.g. `proconnect`.
        #[arg(long)]
        provider: String,
    },
    /// Remove an operator (their open sessions lose the operators' pages at once).
    Remove {
        /// Their e-mail.
        email: String,
    },
    /// List the operators, pinned or still waiting for their first login.
    List,
}

#[derive(Subcommand, Debug)]
enum KeysAction {
    /// Print a new Ed25519 key: its secret configuration line and its public part.
    Generate {
        /// The key's id, e.g. the year and a letter (`2027-a`).
        #[arg(long)]
        kid: String,
    },
}

#[derive(Subcommand, Debug)]
enum RulesAction {
    /// Read one JSON case on stdin, print the JSON verdict on stdout (exit 0 whatever the
    /// verdict; exit 2 on malformed input).
    Check,
    /// Print the built-in catalogue: distinctions, grades, rules with articles and dates.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
    /// Validate the configuration and print the effective values, secrets masked.
    Check,
}

#[derive(Subcommand, Debug)]
enum JournalAction {
    /// Recompute a tenant's hash chain and name the first broken link (exit 4 if any).
    Verify {
        /// The tenant's slug, e.g. `interieur`.
        #[arg(long)]
        tenant: String,
    },
}

/// Writes a command's output on stdout.
fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{}", text.trim_end()) {
        // A reader that stopped early (`| head`) is not a failure of ours.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Failed(format!("stdout: {e}")))
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("napoleon: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    // The rules commands are pure: they need neither configuration nor a database.
    match &cli.command {
        Command::Rules {
            action: RulesAction::Check,
        } => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| CliError::Usage(format!("cannot read the case on stdin: {e}")))?;
            return print(&commands::rules_check(&input)?);
        }
        Command::Rules {
            action: RulesAction::List { json },
        } => return print(&commands::rules_list(*json)?),
        Command::Keys {
            action: KeysAction::Generate { kid },
        } => return print(&commands::keys_generate(kid)?),
        Command::Import {
            action: ImportAction::Template,
        } => return print(&napoleon_decisions::registry_import::template_csv()),
        _ => {}
    }
    let config = Config::load(cli.config.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Command::Config {
        action: ConfigAction::Check,
    } = cli.command
    {
        return commands::config_check(&config);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("tokio runtime: {e}")))?;
    runtime.block_on(async move {
        let service = match &cli.command {
            Command::Serve { service } => service.as_str(),
            _ => "cli",
        };
        let format = match config.log.format {
            LogFormatConfig::Pretty => LogFormat::Pretty,
            LogFormatConfig::Json => LogFormat::Json,
        };
        let _telemetry = napoleon_telemetry::init(service, format, &config.log.filter)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        match cli.command {
            Command::Serve { service } => commands::serve(&config, service).await,
            Command::Migrate => commands::migrate(&config).await,
            Command::Demo { data_dir, port } => {
                let options = DemoOptions {
                    data_dir: data_dir.unwrap_or_else(|| config.demo.data_dir.clone()),
                    port: port.unwrap_or(config.demo.port),
                };
                commands::demo(&config, &options).await
            }
            Command::Journal {
                action: JournalAction::Verify { tenant },
            } => commands::journal_verify(&config, &tenant).await,
            Command::Jobs {
                action: JobsAction::Run { kind, tenant },
            } => commands::jobs_run(&config, &kind, &tenant).await,
            Command::Operators { action } => match action {
                OperatorsAction::Add { email, provider } => {
                    commands::operators_add(&config, &email, &provider).await
                }
                OperatorsAction::Remove { email } => {
                    commands::operators_remove(&config, &email).await
                }
                OperatorsAction::List => print(&commands::operators_list(&config).await?),
            },
            Command::Tenants {
                action: TenantsAction::CrossMinistry { tenant, state },
            } => commands::tenants_cross_ministry(&config, &tenant, state == OnOff::On).await,
            Command::Import { action } => match action {
                ImportAction::Registry {
                    tenant,
                    verifier,
                    rapport,
                    lot,
                    file,
                } => print(
                    &commands::import_registry(
                        &config,
                        &commands::RegistryImportOptions {
                            tenant,
                            file,
                            check_only: verifier,
                            report: rapport,
                            batch: lot,
                        },
                    )
                    .await?,
                ),
                ImportAction::Undo { tenant, id } => {
                    print(&commands::import_undo(&config, &tenant, &id).await?)
                }
                ImportAction::Template => Ok(()),
            },
            // Handled above, before the runtime starts.
            Command::Config { .. } | Command::Rules { .. } | Command::Keys { .. } => Ok(()),
        }
    })
}
