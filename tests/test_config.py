"""The config layer: discovery, validation with one-line errors, and lazy secrets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from omni_tui import paths
from omni_tui.config import AccountConfig, Config, load_config
from omni_tui.errors import ConfigError, NotFound

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"
REAL_DEFAULT_CONFIG_PATH = paths.default_config_path  # before clean_env replaces it

EMAIL = """
[[accounts]]
name = "support-mail"
channel = "email"
imap_host = "imap.example.com"
username = "support@example.com"
address = "support@example.com"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's own config, store or secrets."""
    for name in list(os.environ):
        if name.startswith("OMNI_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(paths, "default_config_path", lambda: tmp_path / "absent" / "config.toml")


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_for(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


def assert_one_line_naming(error: ConfigError, path: Path, key: str) -> str:
    message = str(error)
    assert "\n" not in message
    assert str(path) in message
    assert key in message
    assert " — " in message  # the fix follows the dash
    return message


def account(tmp_path: Path, body: str) -> AccountConfig:
    return load_config(write(tmp_path, EMAIL + textwrap.dedent(body))).accounts[0]


# --- discovery --------------------------------------------------------------------------


def test_missing_default_config_gives_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "dana")
    config = load_config()
    assert config == Config()
    assert config.source is None
    assert config.accounts == () and config.canned == () and config.keys == {}
    assert config.agent.name == "dana"
    assert config.identity.default_region == "US"
    assert config.conversation.join_window_days == 7
    assert (config.sla.warn_after_minutes, config.sla.breach_after_minutes) == (60, 240)


def test_missing_default_config_is_an_error_when_required() -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(required=True)


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    message = assert_one_line_naming(error_for(missing), missing, "nope.toml")
    assert "not found" in message and "--config" in message


def test_env_config_is_used_and_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path, '[agent]\nname = "From Env"\n')
    monkeypatch.setenv("OMNI_CONFIG", str(path))
    assert load_config().agent.name == "From Env"
    assert load_config().source == path
    monkeypatch.setenv("OMNI_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"gone\.toml: config file not found — fix \$OMNI_CONFIG"):
        load_config()


def test_explicit_path_beats_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OMNI_CONFIG", str(write(tmp_path, '[agent]\nname = "env"\n', "a.toml")))
    explicit = write(tmp_path, '[agent]\nname = "explicit"\n', "b.toml")
    assert load_config(explicit).agent.name == "explicit"


def test_default_paths_follow_platformdirs_and_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert REAL_DEFAULT_CONFIG_PATH().name == "config.toml"
    assert REAL_DEFAULT_CONFIG_PATH().parent.name == "omni-tui"
    assert paths.default_db_path().name == "omni.db"
    assert paths.default_db_path().parent.name == "omni-tui"
    monkeypatch.setenv("OMNI_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("OMNI_DB", str(tmp_path / "d.db"))
    assert REAL_DEFAULT_CONFIG_PATH() == tmp_path / "c.toml"
    assert paths.default_db_path() == tmp_path / "d.db"


def test_store_path_is_expanded_and_omni_db_overrides_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(write(tmp_path, '[store]\npath = "~/data/omni.db"\n'))
    assert config.store.path == tmp_path / "data" / "omni.db"
    assert config.store.db_path() == tmp_path / "data" / "omni.db"
    monkeypatch.setenv("OMNI_DB", str(tmp_path / "other.db"))
    assert config.store.db_path() == tmp_path / "other.db"


# --- the example ------------------------------------------------------------------------


def test_example_config_loads_every_account() -> None:
    config = load_config(EXAMPLE)
    kinds = [(a.channel, a.provider) for a in config.accounts]
    assert kinds == [("email", None), ("sms", "twilio"), ("sms", "kannel"), ("chat", None)]
    mail = config.account("support-mail")
    assert mail.imap_host == "imap.example.com" and mail.folders == ("INBOX",)
    assert mail.password_command == ("pass", "show", "mail/support@example.com")
    assert config.account("sms-twilio").api_base == "https://api.twilio.com"
    assert config.account("sms-kannel").listen == "127.0.0.1:13080"
    assert config.account("web-chat").relay_url == "https://relay.example.com"
    assert [c.name for c in config.canned] == ["greeting", "closing"]
    assert config.keys["inbox.down"] == "down,j"


def test_the_relay_reads_its_table_and_takes_secrets_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = load_config(EXAMPLE).relay
    assert (relay.listen, relay.base_url()) == ("127.0.0.1:8750", "https://relay.example.com")
    assert relay.token_command == "pass show omni/relay-token"
    monkeypatch.setenv("OMNI_RELAY_TOKEN", "from-env")
    bare = load_config(write(tmp_path, '[relay]\nlisten = "0.0.0.0:9000"\n')).relay
    assert (bare.secret("token"), bare.optional_secret("chat_secret")) == ("from-env", None)
    assert bare.base_url() == "http://0.0.0.0:9000"
    path = write(tmp_path, '[relay]\nlisten = "nowhere"\n')
    assert "not host:port" in assert_one_line_naming(error_for(path), path, "relay.listen")


def test_unknown_account_name_is_not_found() -> None:
    with pytest.raises(NotFound):
        load_config(EXAMPLE).account("fax-line")


def test_email_ports_default_from_security(tmp_path: Path) -> None:
    mail = account(tmp_path, "")
    assert (mail.imap_security, mail.imap_port) == ("tls", 993)
    assert (mail.smtp_security, mail.smtp_port, mail.smtp_host) == (
        "starttls",
        587,
        "imap.example.com",
    )
    assert mail.folders == ("INBOX",) and mail.mark_seen is False
    assert mail.max_attachment_bytes == 25 * 1024 * 1024
    local = EMAIL.replace("imap.example.com", "127.0.0.1")
    plain = load_config(write(tmp_path, local + 'imap_security = "none"\nsmtp_security = "tls"\n'))
    assert (plain.accounts[0].imap_port, plain.accounts[0].smtp_port) == (143, 465)


def test_canned_response_fills_placeholders() -> None:
    config = load_config(EXAMPLE)
    text = config.canned[0].render(customer_name="Bo", agent=config.agent)
    assert text.startswith("Hi Bo,") and text.endswith("— Dana Agent")


# --- errors -----------------------------------------------------------------------------


def test_invalid_toml_is_one_line_error_with_position(tmp_path: Path) -> None:
    path = write(tmp_path, '[agent]\nname = "Dana"\nname = "again"\n')
    message = assert_one_line_naming(error_for(path), path, "line 3, column")
    assert "invalid TOML" in message


def test_unterminated_toml_is_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[agent]\nname = "Dana\n')
    assert "invalid TOML" in assert_one_line_naming(error_for(path), path, "config.toml")


def test_unknown_channel_names_file_key_and_fix(tmp_path: Path) -> None:
    second = EMAIL.replace("support-mail", "sales-mail")
    path = write(tmp_path, EMAIL + second + '[[accounts]]\nname = "fax"\nchannel = "fax"\n')
    error = error_for(path)
    assert error.key == "accounts[2].channel"
    message = assert_one_line_naming(error, path, "accounts[2].channel")
    assert message.endswith("unknown channel 'fax' — use one of email, sms, chat")


def test_a_password_in_clear_text_to_another_machine_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, EMAIL + 'imap_security = "none"\n')
    message = assert_one_line_naming(error_for(path), path, "accounts[0].imap_security")
    assert "sends the password in clear text" in message
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "ip6-localhost"):
        local = EMAIL.replace("imap.example.com", host) + 'imap_security = "none"\n'
        assert load_config(write(tmp_path, local)).accounts
    # SMTP in plain text to a relay on the network: it takes mail without a password
    relay = EMAIL + 'smtp_host = "10.0.0.5"\nsmtp_security = "none"\n'
    assert load_config(write(tmp_path, relay)).accounts[0].smtp_security == "none"


def test_a_ca_file_that_is_missing_or_no_certificate_is_a_config_error(tmp_path: Path) -> None:
    """Not a traceback at every sync and every send."""
    path = write(tmp_path, EMAIL + 'ca_file = "nope.pem"\n')
    message = assert_one_line_naming(error_for(path), path, "accounts[0].ca_file")
    assert f"no such file {tmp_path / 'nope.pem'}" in message
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    for bad in ("junk.pem", "."):
        path = write(tmp_path, EMAIL + f'ca_file = "{bad}"\n')
        message = assert_one_line_naming(error_for(path), path, "accounts[0].ca_file")
        assert "is not a readable PEM certificate file" in message


def test_a_warning_after_the_breach_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[sla]\nwarn_after_minutes = 300\nbreach_after_minutes = 60\n")
    message = assert_one_line_naming(error_for(path), path, "sla.warn_after_minutes")
    assert "300 is after breach_after_minutes (60)" in message


def test_a_rules_file_named_but_missing_is_a_config_error(tmp_path: Path) -> None:
    """A misspelt name routed nothing, and nothing said so."""
    path = write(tmp_path, '[routing]\nrules_file = "rulez.toml"\n')
    message = assert_one_line_naming(error_for(path), path, "routing.rules_file")
    assert f"no such file {tmp_path / 'rulez.toml'}" in message


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, EMAIL + "imap_prot = 993\n")
    message = assert_one_line_naming(error_for(path), path, "accounts[0].imap_prot")
    assert "did you mean 'imap_port'?" in message


def test_unknown_section_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, '[stroe]\npath = "x.db"\n')
    assert "did you mean 'store'" in assert_one_line_naming(error_for(path), path, "stroe")


def test_unknown_key_in_section_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "[sla]\nwarn_after = 5\n")
    assert_one_line_naming(error_for(path), path, "sla.warn_after")


def test_key_of_another_channel_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, EMAIL + 'relay_url = "https://relay.example.com"\n')
    message = assert_one_line_naming(error_for(path), path, "accounts[0].relay_url")
    assert "only for chat accounts" in message


def test_twilio_key_on_kannel_account_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [[accounts]]
        name = "sms"
        channel = "sms"
        provider = "kannel"
        number = "+15550101"
        sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms"
        account_sid = "AC1"
        """,
    )
    message = assert_one_line_naming(error_for(path), path, "accounts[0].account_sid")
    assert 'provider = "twilio"' in message


@pytest.mark.parametrize(
    ("number", "fix"),
    [("+1 (500) 555-0006", 'write it as "+15005550006"'), ("hello", "E.164")],
)
def test_an_sms_number_not_as_gateways_write_it_is_refused_with_the_fix(
    tmp_path: Path, number: str, fix: str
) -> None:
    """ "+1 (500) 555-0006" matched no inbound text, and every sync said "ok"."""
    path = write(
        tmp_path,
        f'[[accounts]]\nname = "x"\nchannel = "sms"\nprovider = "twilio"\nnumber = "{number}"\n',
    )
    message = assert_one_line_naming(error_for(path), path, "accounts[0].number")
    assert fix in message


def test_a_kannel_number_in_the_local_form_still_loads(tmp_path: Path) -> None:
    """Kannel's texts are matched in the default region: "4155550101" is that number."""
    path = write(
        tmp_path,
        '[[accounts]]\nname = "x"\nchannel = "sms"\nprovider = "kannel"\n'
        'number = "4155550101"\nsendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms"\n'
        'username = "u"\npassword = "p"\n',
    )
    assert load_config(path).accounts[0].number == "4155550101"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('[[accounts]]\nchannel = "chat"\nrelay_url = "https://r.example"\n', "accounts[0].name"),
        ('[[accounts]]\nname = "x"\n', "accounts[0].channel"),
        (
            '[[accounts]]\nname = "x"\nchannel = "email"\nimap_host = "h"\nusername = "u"\n',
            "accounts[0].address",
        ),
        (
            '[[accounts]]\nname = "x"\nchannel = "sms"\nnumber = "+15550100"\n',
            "accounts[0].provider",
        ),
        (
            '[[accounts]]\nname = "x"\nchannel = "sms"\nprovider = "twilio"\n'
            'number = "+15550100"\n',
            "accounts[0].account_sid",
        ),
        (
            '[[accounts]]\nname = "x"\nchannel = "sms"\nprovider = "kannel"\n'
            'number = "+15550100"\n',
            "accounts[0].sendsms_url",
        ),
        ('[[accounts]]\nname = "x"\nchannel = "chat"\n', "accounts[0].relay_url"),
    ],
)
def test_missing_required_account_key_is_named(tmp_path: Path, body: str, key: str) -> None:
    path = write(tmp_path, body)
    message = assert_one_line_naming(error_for(path), path, key)
    assert "missing required key" in message


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (
            '[conversation]\njoin_window_days = "7"\n',
            "conversation.join_window_days",
            "expected an integer, got a string",
        ),
        ("[sla]\nwarn_after_minutes = true\n", "sla.warn_after_minutes", "got a boolean"),
        ("[agent]\nname = 5\n", "agent.name", "expected a string"),
        ("agent = 5\n", "agent", "expected a table"),
        (EMAIL + "imap_port = 70000\n", "accounts[0].imap_port", "out of range"),
        (EMAIL + 'folders = "INBOX"\n', "accounts[0].folders", "expected an array"),
        (EMAIL + 'imap_security = "ssl"\n', "accounts[0].imap_security", "use one of tls"),
        (EMAIL + "mark_seen = 1\n", "accounts[0].mark_seen", "expected a boolean"),
        (
            EMAIL + 'password = "x"\npassword_command = "echo x"\n',
            "accounts[0].password_command",
            "both password and password_command",
        ),
        (EMAIL + "password_command = 5\n", "accounts[0].password_command", "expected a command"),
        (EMAIL + EMAIL, "accounts[1].name", "duplicate account name"),
        ('[keys]\n"inbox.down" = 5\n', "keys.inbox.down", "expected a string"),
        (
            '[[canned]]\nname = "x"\nbody = "Hi {customer.nmae}"\n',
            "canned[0].body",
            "unknown placeholder",
        ),
        (
            '[[accounts]]\nname = "c"\nchannel = "chat"\nrelay_url = "relay.example.com"\n',
            "accounts[0].relay_url",
            "is not a URL",
        ),
    ],
)
def test_bad_value_names_file_and_key(tmp_path: Path, text: str, key: str, expected: str) -> None:
    path = write(tmp_path, text)
    assert expected in assert_one_line_naming(error_for(path), path, key)


def test_bad_region_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, '[identity]\ndefault_region = "XX"\n')
    message = assert_one_line_naming(error_for(path), path, "identity.default_region")
    assert "unknown region 'XX'" in message and "ISO 3166" in message


def test_region_is_upper_cased(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[identity]\ndefault_region = "gb"\n'))
    assert config.identity.default_region == "GB"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.chmod(0)
    assert "cannot read" in assert_one_line_naming(error_for(path), path, "config.toml")


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[agent]\nname = "\xff"\n')
    assert "UTF-8" in assert_one_line_naming(error_for(path), path, "config.toml")


# --- secrets ----------------------------------------------------------------------------


def test_literal_password_is_used_and_kept_out_of_repr(tmp_path: Path) -> None:
    mail = account(tmp_path, 'password = "hunter2"\n')
    assert mail.secret("password") == "hunter2"
    assert "hunter2" not in repr(mail)


def test_password_command_supplies_the_secret(tmp_path: Path) -> None:
    mail = account(tmp_path, "password_command = \"printf 's3cret\\\\n'\"\n")
    assert mail.password_command == "printf 's3cret\\n'"
    assert mail.secret("password") == "s3cret"


def test_password_command_may_be_an_argv_list(tmp_path: Path) -> None:
    script = tmp_path / "secret.py"
    script.write_text("print('from argv')\n")
    mail = account(tmp_path, f"password_command = [{sys.executable!r}, {str(script)!r}]\n")
    assert mail.secret("password") == "from argv"


def test_env_var_supplies_the_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mail = account(tmp_path, "")
    assert mail.env_var("password") == "OMNI_SUPPORT_MAIL_PASSWORD"
    monkeypatch.setenv("OMNI_SUPPORT_MAIL_PASSWORD", "from-env")
    assert mail.secret("password") == "from-env"


def test_failing_command_reports_exit_status_not_output(tmp_path: Path) -> None:
    mail = account(tmp_path, 'password_command = "echo leaked; echo oops >&2; exit 3"\n')
    with pytest.raises(ConfigError) as info:
        mail.secret("password")
    message = str(info.value)
    assert "accounts[0].password_command" in message and "exited with status 3" in message
    assert "leaked" not in message and "oops" not in message and "\n" not in message


def test_command_that_cannot_start_is_an_error(tmp_path: Path) -> None:
    mail = account(tmp_path, 'password_command = ["/nonexistent/omni-secret-helper"]\n')
    with pytest.raises(ConfigError, match="could not run it"):
        mail.secret("password")


def test_missing_secret_names_key_and_every_fix(tmp_path: Path) -> None:
    mail = account(tmp_path, "")
    with pytest.raises(ConfigError) as info:
        mail.secret("password")
    message = assert_one_line_naming(info.value, tmp_path / "config.toml", "accounts[0].password")
    assert "password_command" in message and "OMNI_SUPPORT_MAIL_PASSWORD" in message


def test_asking_for_another_channels_secret_is_a_bug(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        account(tmp_path, "").secret("token")


# --- boundaries -------------------------------------------------------------------------


def test_config_module_imports_without_textual() -> None:
    code = "import sys, omni_tui.config; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
