def test_health(app, client_for):
    response = client_for().get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_login_page_is_russian(app, client_for):
    response = client_for().get("/auth/login")
    assert response.status_code == 200
    assert "Вход в систему" in response.get_data(as_text=True)
