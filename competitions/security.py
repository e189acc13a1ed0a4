"""Security headers, Secure cookies over TLS, and the reverse-proxy fix."""

from werkzeug.middleware.proxy_fix import ProxyFix

from competitions.caching import register_no_store

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
]
HSTS = [("Strict-Transport-Security", "max-age=31536000")]  # over TLS only


def register_security(app) -> None:
    register_no_store(app)
    # Headers as WSGI middleware, around everything else but ProxyFix, so that no response
    # escapes them: error pages, errors.py's last-resort page when error handling failed.
    app.wsgi_app = SecurityHeaders(SecureCookies(app.wsgi_app))
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        # Outermost, so that SecureCookies sees the scheme the client used.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


class SecurityHeaders:
    """Adds the security headers a response does not set itself, to every response.

    WSGI middleware rather than an after_request hook: a hook is skipped when an earlier hook
    raises, and never runs for a response Flask failed to make.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        extra = SECURITY_HEADERS + (HSTS if environ.get("wsgi.url_scheme") == "https" else [])

        def start_with_headers(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = headers + [(name, value) for name, value in extra
                                 if name.lower() not in present]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_headers)


class SecureCookies:
    """Over TLS every cookie gets the Secure flag (session, remember-me, language).

    WSGI middleware rather than an after_request hook: Flask saves the session cookie, and
    Flask-Login its remember cookie, after our after_request hooks have run.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_secure_response(status, headers, exc_info=None):
            headers = [(name, _secure(value) if name.lower() == "set-cookie" else value)
                       for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_secure_response)


def _secure(cookie: str) -> str:
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    return cookie if "secure" in attributes else cookie + "; Secure"
