//! `cargo run` serves the notes API on 127.0.0.1:3000 (or the address given as the first argument).

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(a) => a
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{a}: {e}")))?,
        None => SocketAddr::from(([127, 0, 0, 1], 3000)),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, notes_service::app()).await
}
