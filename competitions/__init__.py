"""The tiered skills-competition platform."""

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    from competitions.config import load_config
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    from competitions.forms import register_input_checks
    register_input_checks(app)
    from competitions.errors import register_error_handlers
    register_error_handlers(app)
    from competitions.security import register_security
    register_security(app)
    return app


def register_extensions(app: Flask) -> None:
    from competitions import i18n, models  # noqa: F401  (models: the whole schema)
    from competitions.accounts import cookies
    from competitions.accounts.models import AnonymousUser
    from competitions.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories="translations")
    limiter.init_app(app)
    login_manager.init_app(app)
    cookies.register(app, login_manager)
    login_manager.anonymous_user = AnonymousUser
    login_manager.login_view = "accounts.login"
    login_manager.login_message = i18n.LOGIN_MESSAGE
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    i18n.register_template_helpers(app)


def register_blueprints(app: Flask) -> None:
    from competitions.accounts.views import bp as accounts
    from competitions.audit.views import bp as audit
    from competitions.certificates.views import bp as certificates
    from competitions.contests.drill_views import bp as drills
    from competitions.contests.views import bp as contests
    from competitions.evaluation.views import bp as evaluation
    from competitions.judging.views import bp as judging
    from competitions.notifications.views import bp as notifications
    from competitions.organisations.views import bp as organisations
    from competitions.promotion.views import bp as promotion
    from competitions.public.views import bp as public
    from competitions.registration.views import bp as registration
    from competitions.results.views import bp as results

    for blueprint in (public, accounts, organisations, contests, registration, judging,
                      results, certificates, notifications, promotion, audit, evaluation):
        app.register_blueprint(blueprint)
    app.register_blueprint(drills)


def register_cli(app: Flask) -> None:
    from competitions.cli import register_commands
    register_commands(app)
