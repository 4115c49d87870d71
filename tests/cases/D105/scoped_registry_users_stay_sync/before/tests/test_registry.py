def test_session_is_handed_out(session):
    assert session is not None
