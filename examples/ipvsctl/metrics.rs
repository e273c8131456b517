//! `ipvsctl metrics --listen ADDR:PORT [--max-series N]`: a Prometheus
//! exporter of the table, over HTTP/1 (hyper) on a tokio runtime.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use ipvs_netlink::handle::tokio::Handle;
use ipvs_netlink::metrics::{MetricsOptions, CONTENT_TYPE as OPENMETRICS};
use ipvs_netlink::Config;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Mutex;

use crate::{Context, Failure, Run};

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve the table's metrics at http://ADDR:PORT/metrics (OpenMetrics
/// text), listing the table anew on each scrape; see the library's
/// `metrics` module for the series and labels. Prints the address it
/// serves on (port 0: one the system picks) and runs until SIGINT or
/// SIGTERM, then exits with status 0.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The address and port to listen on, e.g. 127.0.0.1:9587, [::]:9587.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Write at most N series of services and destinations, whole services
    /// in key order; ipvs_scrape_dropped_series counts the rest.
    #[arg(long, value_name = "N")]
    max_series: Option<usize>,
}

/// What every request shares: the one handle (scrapes take turns on it)
/// and the options.
struct Exporter {
    ipvs: Mutex<Handle>,
    options: MetricsOptions,
}

impl Run for Args {
    fn run(self, cx: &Context) -> Result<ExitCode, Failure> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::new("start the tokio runtime", e))?;
        runtime.block_on(self.serve(cx))
    }
}

impl Args {
    async fn serve(self, cx: &Context) -> Result<ExitCode, Failure> {
        let (netns, name) = cx.netns();
        let ipvs = Handle::with_config(Config {
            netns,
            ..Default::default()
        })
        .await
        .map_err(|e| Failure::new(format!("open IPVS in {name}"), e))?;
        let mut options = MetricsOptions::new().netns(cx.netns.clone().unwrap_or_default());
        if let Some(n) = self.max_series {
            options = options.max_series(n);
        }
        let exporter = Arc::new(Exporter {
            ipvs: Mutex::new(ipvs),
            options,
        });
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|e| Failure::new(format!("listen on {}", self.listen), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::new("read the address listened on", e))?;
        println!("serving http://{addr}/metrics");
        let signal_failure = |e| Failure::new("wait for SIGINT and SIGTERM", e);
        let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_failure)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(signal_failure)?;
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = interrupt.recv() => break,
                _ = terminate.recv() => break,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, or a connection reset before it
                // was taken: the next one may do.
                Err(e) => {
                    eprintln!("ipvsctl: accept a connection on {addr}: {e}");
                    continue;
                }
            };
            let exporter = Arc::clone(&exporter);
            tokio::spawn(async move {
                let service = service_fn(move |request| respond(Arc::clone(&exporter), request));
                // A client that goes away mid-request ends only its own
                // connection.
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// A response of `status` with a plain-text body.
fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `GET /metrics` scrapes; any other path is 404, any other method 405.
async fn respond(
    exporter: Arc<Exporter>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != "/metrics" {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            "not found: the metrics are at /metrics\n".to_owned(),
        ));
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD\n".to_owned(),
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    let scraped = exporter.ipvs.lock().await.scrape(&exporter.options).await;
    Ok(match scraped {
        Ok(scrape) => {
            let mut response = Response::new(Full::new(Bytes::from(scrape.text)));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(OPENMETRICS));
            response
        }
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    })
}
