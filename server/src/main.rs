use server::config::Config;
use server::startup::{shutdown_signal, Application};
use server::telemetry;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(&config.log_filter);
    let app = match Application::build(&config).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "start-up failed");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %app.addr(), "listening on http://{}", app.addr());
    if let Err(err) = app.run_until(shutdown_signal()).await {
        tracing::error!(error = %err, "server error");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
