def test_ok(http):
    response = http.get("/ok")
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_info(http):
    body = http.get("/info").json()
    assert body["langgraph_py_version"]
