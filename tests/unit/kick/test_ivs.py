from bot.kick.ivs import role_session_name


def test_role_session_names_name_the_workspace_and_user_within_stss_rules():
    assert role_session_name("T0123", "U0456") == "slack-T0123-U0456"
    assert role_session_name(None, "U0456") == "slack-unknown-U0456"
    odd = role_session_name("T 1", "U/2" + "x" * 80)
    assert len(odd) == 64 and " " not in odd and "/" not in odd
