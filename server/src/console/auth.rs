//! Signing in and out: the sign-in page and its form, the session a request carries
//! ([`SignedIn`], which every other console handler takes), and the posted forms checked
//! against it.

use super::*;

#[derive(Template)]
#[template(path = "console/setup.html")]
pub(super) struct Setup {
    pub(super) nav: Nav,
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
pub(super) struct SignIn {
    pub(super) nav: Nav,
    pub(super) error: Option<&'static str>,
}

/// The signed-in session: its store key and its CSRF token.
pub(super) struct Session {
    pub(super) key: String,
    pub(super) csrf: String,
}

/// The request's session, if it has a live one. `Err`: the answer to send instead (the
/// console is off, or the store is away).
pub(super) async fn session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Session>, Response> {
    if state.policy.admin_token.is_none() {
        return Err(render(
            StatusCode::OK,
            Setup {
                nav: Nav::signed_out(),
            },
        ));
    }
    let Some(token) = session::cookie(headers) else {
        return Ok(None);
    };
    let key = session::key(&token);
    match state.store.session(&key, store::now()).await {
        Ok(Some(csrf)) => Ok(Some(Session { key, csrf })),
        Ok(None) => Ok(None),
        Err(err) => Err(store_failure_page(&err)),
    }
}

/// A request from a signed-in editor: a console handler that takes one runs only with a
/// live session, and anyone else is sent to the sign-in page (or told the store is away)
/// before the handler, or its body, is read.
pub(super) struct SignedIn(pub(super) Session);

impl axum::extract::FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        match session(state, &parts.headers).await? {
            Some(session) => Ok(SignedIn(session)),
            None => Err(Redirect::to("/admin").into_response()),
        }
    }
}

/// The largest form the console takes: a page's bulk selection, its CSRF token and the
/// filters to go back to fit in well under this.
pub const MAX_FORM: usize = 8 * 1024;
/// The longest a sign-in's form may take to arrive: a token and a few bytes more.
pub(super) const SIGN_IN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// The fields of a posted form; a name may repeat (the bulk checkboxes). The body is read
/// only after the checks that need no body, at most [`MAX_FORM`] bytes, and all of it
/// within the body deadline, so that slow or large forms cost the server nothing.
pub(super) async fn form(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    form_within(headers, body, state.policy.body_timeout).await
}

/// The same, within `deadline`.
pub(super) async fn form_within(
    headers: &HeaderMap,
    body: Body,
    deadline: std::time::Duration,
) -> Result<Vec<(String, String)>, Response> {
    let bytes = crate::net::http::read_body(headers, body, MAX_FORM, deadline)
        .await
        .map_err(IntoResponse::into_response)?;
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// `GET /admin`.
pub(super) async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Err(answer) => answer,
        Ok(Some(_)) => Redirect::to("/admin/reviews").into_response(),
        Ok(None) => render(
            StatusCode::OK,
            SignIn {
                nav: Nav::signed_out(),
                error: None,
            },
        ),
    }
}

/// `POST /admin/sign-in`: the token gives a session; failures are limited per client.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    addressed: Addressed,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(expected) = state.policy.admin_token.as_deref() else {
        return render(
            StatusCode::OK,
            Setup {
                nav: Nav::signed_out(),
            },
        );
    };
    if !session::same_origin_form(&headers, &addressed, "", "") {
        return (
            StatusCode::FORBIDDEN,
            "this form may only be sent from the console",
        )
            .into_response();
    }
    let refuse = |status, error| {
        render(
            status,
            SignIn {
                nav: Nav::signed_out(),
                error: Some(error),
            },
        )
    };
    let client = state.policy.proxies.client(peer.ip(), &headers);
    // Every sign-in spends from the client's allowance before the token is compared, so that
    // guesses sent all at once are held to it too (an editor signs in a few times a day).
    if state.sign_ins.take(client, Instant::now()).is_err() {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins from here. Wait a minute, then try again.",
        );
    }
    let deadline = state.policy.body_timeout.min(SIGN_IN_DEADLINE);
    let fields = match form_within(&headers, body, deadline).await {
        Ok(fields) => fields,
        Err(refusal) => return refusal,
    };
    let given = field(&fields, "token").unwrap_or_default().trim();
    if !crate::reviews::admin::same_secret(given.as_bytes(), expected.as_bytes()) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "That is not the token this server was started with.",
        );
    }
    let (token, csrf) = (session::token(), session::token());
    let expires = store::now() + session::LIFETIME;
    if let Err(err) = state
        .store
        .start_session(&session::key(&token), &csrf, expires)
        .await
    {
        return store_failure_page(&err);
    }
    let mut response = Redirect::to("/admin/reviews").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(Some(&token), addressed.https),
    );
    response
}

/// The form's fields, if this form post is its session's own (right CSRF token, same
/// origin); else the refusal. (A request without a session never gets here: [`SignedIn`]
/// refuses it before its body is read.)
pub(super) async fn posted(
    state: &AppState,
    session: &Session,
    addressed: &Addressed,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    let fields = form(state, headers, body).await?;
    let given = field(&fields, "csrf").unwrap_or_default();
    if !session::same_origin_form(headers, addressed, given, &session.csrf) {
        return Err((
            StatusCode::FORBIDDEN,
            "this form may only be sent from the console",
        )
            .into_response());
    }
    Ok(fields)
}

/// `POST /admin/sign-out`: the session ends on the server, and its cookie goes.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    addressed: Addressed,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(refusal) = posted(&state, &session, &addressed, &headers, body).await {
        return refusal;
    }
    if let Err(err) = state.store.end_session(&session.key, store::now()).await {
        return store_failure_page(&err);
    }
    let mut response = Redirect::to("/admin").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(None, addressed.https),
    );
    response
}
