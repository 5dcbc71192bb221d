//! `quarry serve` exports spans over OTLP/HTTP (protobuf) to a collector run by the test, and
//! continues the trace of an incoming `traceparent`.

use crate::common;
use crate::harness;
use common::Env;
use harness::Server;
use std::sync::{Arc, Mutex};

/// What the collector received: each export's headers and body.
type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;

/// An OTLP/HTTP collector on a free loopback port, keeping each export's headers and body.
struct Collector {
    url: String,
    received: Received,
    _runtime: tokio::runtime::Runtime,
}

impl Collector {
    fn start() -> Collector {
        use axum::routing::post;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let received: Received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                    store.lock().unwrap().push((headers, body.to_vec()));
                    // An empty ExportTraceServiceResponse: everything accepted.
                    (
                        [("content-type", "application/x-protobuf")],
                        Vec::<u8>::new(),
                    )
                },
            ),
        );
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Collector {
            url,
            received,
            _runtime: runtime,
        }
    }

    /// Every span received: (trace id as hex, name, attributes as text, service.name).
    fn spans(&self) -> Vec<(String, String, String, String)> {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
        use prost::Message;
        let mut spans = Vec::new();
        for (headers, body) in self.received.lock().unwrap().iter() {
            assert_eq!(headers["content-type"], "application/x-protobuf");
            let req = ExportTraceServiceRequest::decode(body.as_slice()).expect("protobuf");
            for rs in req.resource_spans {
                let service = format!("{:?}", rs.resource.unwrap_or_default().attributes);
                for ss in rs.scope_spans {
                    for s in ss.spans {
                        let tid: String = s.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                        spans.push((tid, s.name, format!("{:?}", s.attributes), service.clone()));
                    }
                }
            }
        }
        spans
    }
}

#[test]
fn spans_are_exported_over_otlp_and_continue_incoming_traces() {
    let collector = Collector::start();
    let env = Env::new();
    let mut server = Server::start(
        &env,
        &format!(
            "[telemetry]\notlp_endpoint = \"{}\"\nservice_name = \"quarry-test\"\n",
            collector.url
        ),
    );
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let (code, _, _) = server.get(
        "/api/search?q=parse_config",
        &[("traceparent", &format!("00-{trace_id}-00f067aa0ba902b7-01"))],
    );
    assert_eq!(code, 200);
    // Stopping flushes the spans not yet exported.
    server.terminate();

    let spans = collector.spans();
    let requests: Vec<_> = spans.iter().filter(|s| s.1 == "http_request").collect();
    assert!(!requests.is_empty(), "no http_request span in {spans:#?}");
    assert!(
        requests.iter().all(|s| s.3.contains("quarry-test")),
        "{requests:#?}"
    );
    let continued = requests
        .iter()
        .find(|s| s.0 == trace_id)
        .unwrap_or_else(|| panic!("no span in the caller's trace: {requests:#?}"));
    assert!(continued.2.contains("/api/search"), "{continued:?}");
    // Requests without a traceparent start traces of their own.
    assert!(requests.iter().any(|s| s.0 != trace_id));
}
