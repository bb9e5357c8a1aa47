//! An upload as a browser sends it: a multipart body, read by the portal's
//! reader (the `file` field, its first bytes sniffed, a limit).
#![no_main]
use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::Request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let req = Request::builder()
            .method("POST")
            .header("content-type", "multipart/form-data; boundary=X")
            .body(Body::from(data.to_vec()))
            .expect("a request");
        if let Ok(multipart) = Multipart::from_request(req, &()).await {
            let _ = web::upload::read_file(multipart, 4096).await;
        }
    });
});
