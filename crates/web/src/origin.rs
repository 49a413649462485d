//! Cross-site form posts refused: login CSRF and cross-site logout.
//!
//! The login forms are posted before any session exists, so there is no session's token to
//! check; and a cookie set by a cross-site response is kept even under `SameSite=Strict`, so an
//! attacker's page could log a victim into the attacker's account. Browsers say where a request
//! comes from: `Sec-Fetch-Site` (Fetch Metadata) where supported, otherwise `Origin` on every
//! POST. A request that says it comes from another site is refused; one that says nothing is
//! not from a browser form, and passes (the forms' own checks still apply).

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What the browser told us of where a request comes from.
fn cross_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(site) = text("sec-fetch-site") {
        // "none": the user typed or bookmarked it.
        return !matches!(site, "same-origin" | "none");
    }
    match text(header::ORIGIN.as_str()) {
        None => false,
        Some(origin) => {
            // `Origin` is `scheme://host[:port]` (or `null` from sandboxed and privacy-sensitive
            // contexts): only the same host and port as the request's `Host` passes.
            let authority = origin.split_once("://").map(|(_, a)| a);
            let host = text(header::HOST.as_str());
            match (authority, host) {
                (Some(a), Some(h)) => !a.eq_ignore_ascii_case(h),
                _ => true,
            }
        }
    }
}

/// Refuses a cross-site POST with 403 and a plain Chinese explanation; other requests pass.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && cross_site(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "请求来自其他网站，已拒绝。请打开本站的页面重新提交。",
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                *k,
                v.parse().unwrap_or_else(|_| unreachable!("a valid header")),
            );
        }
        h
    }

    #[test]
    fn fetch_metadata_decides_where_the_browser_sends_it() {
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        // Fetch Metadata wins over a matching Origin.
        assert!(cross_site(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://yjs.example:8080"),
            ("host", "yjs.example:8080"),
        ])));
    }

    #[test]
    fn otherwise_the_origin_must_be_this_host() {
        let same = headers(&[("origin", "https://yjs.example"), ("host", "yjs.example")]);
        assert!(!cross_site(&same));
        let port = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(!cross_site(&port));
        let other = headers(&[("origin", "https://evil.example"), ("host", "yjs.example")]);
        assert!(cross_site(&other));
        let other_port = headers(&[
            ("origin", "http://127.0.0.1:9999"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(cross_site(&other_port));
        assert!(cross_site(&headers(&[
            ("origin", "null"),
            ("host", "yjs.example")
        ])));
        // No word from a browser: not a browser form.
        assert!(!cross_site(&headers(&[("host", "yjs.example")])));
    }
}
