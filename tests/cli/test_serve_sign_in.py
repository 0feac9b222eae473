"""`okno serve` and staff sign-in's settings: documented in its help, and a half-configured
provider stops it before it serves anything."""

from __future__ import annotations

from click.testing import CliRunner

from okno.cli import cli


def test_serve_s_help_names_the_sign_in_settings() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    for variable in ("OKNO_OIDC_ISSUER", "OKNO_OIDC_CLIENT_ID", "OKNO_OIDC_CLIENT_SECRET", "OKNO_OIDC_ROLE_MAP"):
        assert variable in result.output


def test_serve_refuses_to_start_with_an_issuer_but_no_client() -> None:
    env = {
        "OKNO_OIDC_ISSUER": "https://sso.example.ru/realms/mfc",
        "OKNO_OIDC_CLIENT_ID": "",
        "OKNO_OIDC_CLIENT_SECRET": "",
    }
    result = CliRunner().invoke(cli, ["serve", "--port", "1"], env=env, catch_exceptions=False)
    assert result.exit_code == 2
    assert "OKNO_OIDC_CLIENT_ID and OKNO_OIDC_CLIENT_SECRET are needed" in result.output
    assert "okno serving" not in result.output
