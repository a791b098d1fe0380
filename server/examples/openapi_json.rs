//! Prints the REST API's OpenAPI description without starting a server, so that the contract can
//! be diffed between two commits: `cargo run -q -p server --example openapi_json > api.json`.

use utoipa::OpenApi;

fn main() -> Result<(), serde_json::Error> {
    let doc = server::api::openapi::ApiDoc::openapi();
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}
