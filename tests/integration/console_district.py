#!/usr/bin/env python3
"""console_district.py - a district officer's day in the console, in headless
Chromium (python3-selenium and Debian's chromedriver); the province plays its
part through its own CLI. test_console.c starts the world and `thidua ui`,
then runs this with the URL the console printed.

What an officer relies on, each step asserted:
  - the console refuses a request without the session, with a foreign Host
    header, a POST without the CSRF token, and the printed link a second
    time; nothing is changed by any of them;
  - the printed link opens the console in Vietnamese;
  - a nomination with three mistakes shows each at its field, and nothing is
    stored; corrected, it is stored; a collective is added too;
  - the list shows both in the Vietnamese order and finds a name typed
    without its diacritics; an edit makes revision 2;
  - the sync button sends both while the pages keep answering (the server is
    paused for a while during the sync), and the province holds them;
  - the province returns one with a reason: after the next sync the record's
    page shows the return and its reason;
  - withdrawing asks for a confirmation, then locks the record.
Screenshots of the main pages go to --shots.
"""
import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException, TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Console:
    def __init__(self, args):
        self.args = args
        u = urllib.parse.urlsplit(args.url)
        self.host, self.port = u.hostname, u.port
        self.base = "http://%s:%d" % (self.host, self.port)
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--window-size=1280,900", "--lang=vi"):
            opts.add_argument(a)
        self.drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        self.drv.set_page_load_timeout(30)
        self.wait = self.waiter(20)

    def waiter(self, seconds):
        # The status page reloads itself when a sync ends: an element read may be gone.
        return WebDriverWait(self.drv, seconds, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException))

    # -- raw HTTP, for what a browser would not send -------------------------------------

    def raw(self, method, path, body=None, headers=None, cookie=True):
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        h = {"Host": "%s:%d" % (self.host, self.port)}
        if cookie:
            s = self.drv.get_cookie("thidua_session")
            check(s is not None, "the browser holds no session cookie")
            h["Cookie"] = "thidua_session=" + s["value"]
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        c.close()
        return r.status, data, r

    # -- the CLI of both sides --------------------------------------------------------------

    def thidua(self, config, *argv, expect=0):
        p = subprocess.run([self.args.thidua, "-c", config] + list(argv), capture_output=True,
                           text=True, env=dict(os.environ, LANG="C.UTF-8"))
        if p.returncode != expect:
            fail("thidua %s exited %d: %s%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
        return p.stdout

    def office_records(self):
        return json.loads(self.thidua(self.args.office, "--json", "list"))

    def office_records_by_id(self):
        return {r["id"]: r for r in self.office_records()}

    # -- the browser --------------------------------------------------------------------------

    def go(self, path):
        self.drv.get(self.base + path)

    def shot(self, name):
        os.makedirs(self.args.shots, exist_ok=True)
        self.drv.save_screenshot(os.path.join(self.args.shots, "console-%s.png" % name))

    def field(self, name):
        return self.drv.find_element(By.NAME, name)

    def type(self, name, text):
        el = self.field(name)
        el.clear()
        el.send_keys(text)

    def choose(self, name, value):
        Select(self.field(name)).select_by_value(value)

    def click(self, action):
        self.drv.find_element(By.CSS_SELECTOR, '[data-action="%s"]' % action).click()

    def error_of(self, field):
        els = self.drv.find_elements(By.ID, "err-" + field)
        return els[0].text if els else None

    def record_id_from_url(self):
        path = urllib.parse.urlsplit(self.drv.current_url).path
        check(path.startswith("/records/") and len(path) == len("/records/") + 36,
              "not on a record's page after storing: " + self.drv.current_url)
        return path[len("/records/"):]


def door(c):
    """Refusals before the session exists, then the link opens the console."""
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(c.args.url).query)["token"][0]
    st, body, _ = c.raw("GET", "/records", cookie=False)
    check(st == 403, "a request without the session answered %d" % st)
    st, body, _ = c.raw("GET", "/?token=" + "0" * 64, cookie=False)
    check(st == 403, "a wrong token answered %d" % st)
    st, body, _ = c.raw("GET", "/?token=" + token, cookie=False,
                        headers={"Host": "thidua.example.com:%d" % c.port})
    check(st == 421, "a foreign Host header answered %d" % st)

    c.drv.get(c.args.url)
    c.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.records, p.empty")))
    check(c.drv.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi",
          "the console is not in Vietnamese by default")
    check("token" not in c.drv.current_url, "the token stays in the address bar")
    cookie = c.drv.get_cookie("thidua_session")
    check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict",
          "the session cookie is not HttpOnly and SameSite=Strict: %r" % cookie)

    # The link is spent: opened again elsewhere (no cookie) it is refused.
    st, body, _ = c.raw("GET", "/?token=" + token, cookie=False)
    check(st == 403, "the printed link worked twice (%d)" % st)
    # A foreign Host is refused even with the session (DNS rebinding).
    st, body, _ = c.raw("GET", "/records", headers={"Host": "evil.example:%d" % c.port})
    check(st == 421, "a foreign Host with the session answered %d" % st)
    # A POST without the CSRF token changes nothing.
    form = urllib.parse.urlencode({"nominee_kind": "individual", "nominee_name": "Kẻ Giả Mạo",
                                   "title": "x", "category": "KT_XH", "achieved_on": "15/03/2025",
                                   "proposed_award": "BK_UBND_TINH"})
    st, body, _ = c.raw("POST", "/records/new", body=form)
    check(st == 403, "a POST without the CSRF token answered %d" % st)
    st, body, _ = c.raw("POST", "/records/new", body=form + "&csrf=" + "1" * 64)
    check(st == 403, "a POST with a wrong CSRF token answered %d" % st)
    check(c.office_records() == [], "a refused POST stored something")
    # The headers that keep pages from being framed or running inline scripts.
    st, body, r = c.raw("GET", "/records")
    csp = r.getheader("Content-Security-Policy") or ""
    check(st == 200 and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp,
          "the Content-Security-Policy is missing or weak: %r" % csp)
    check("<script>" not in body and "onclick" not in body, "a page carries an inline script")


def add_individual(c):
    c.go("/records/new")
    c.wait.until(EC.presence_of_element_located((By.NAME, "nominee_name")))
    c.shot("form")
    # Three mistakes: a date that does not exist, an achievement after the campaign, no title.
    c.choose("nominee_kind", "individual")
    c.type("nominee_name", "Nguyễn Thị Thuỷ")
    c.type("birth_date", "31/02/1985")
    c.choose("gender", "female")
    c.type("position", "Chủ tịch Hội Phụ nữ xã")
    c.type("workplace", "UBND xã Tân Hòa")
    c.type("summary", "Vận động 120 hộ tham gia mô hình nuôi cá.")
    c.choose("category", "KT_XH")
    c.type("achieved_on", "15/03/2026")
    c.choose("proposed_award", "BK_UBND_TINH")
    c.click("add")
    c.wait.until(EC.presence_of_element_located((By.ID, "problems")))
    c.shot("form-errors")
    for f in ("birth_date", "achieved_on", "title"):
        check(c.error_of(f), "no problem shown at the field %s" % f)
    for f in ("nominee_name", "category", "proposed_award"):
        check(c.error_of(f) is None, "a problem shown at the correct field %s" % f)
    check(c.field("nominee_name").get_attribute("value") == "Nguyễn Thị Thuỷ",
          "what the officer typed was lost")
    check(c.office_records() == [], "a nomination with mistakes was stored")

    c.type("birth_date", "28/02/1985")
    c.type("achieved_on", "15/03/2025")
    c.type("title", "Dẫn đầu phong trào phát triển kinh tế hộ gia đình")
    c.click("add")
    c.wait.until(EC.presence_of_element_located((By.ID, "state")))
    rid = c.record_id_from_url()
    dd = c.drv.find_element(By.CSS_SELECTOR, 'dd[data-field="birth_date"]').text
    check(dd == "28/02/1985", "the birth date reads %r, not dd/mm/yyyy" % dd)
    c.shot("record")
    return rid


def add_collective(c):
    c.go("/records/new")
    c.choose("nominee_kind", "collective")
    # The fields of a person are hidden for a collective.
    check(not c.field("birth_date").is_displayed(), "a collective is asked for a birth date")
    c.type("nominee_name", "Ấp Tân Phú")
    c.type("title", "Ấp văn hóa tiêu biểu")
    c.choose("category", "ASXH")
    c.type("achieved_on", "01/05/2025")
    c.choose("proposed_award", "BK_UBND_TINH")
    c.click("add")
    c.wait.until(EC.presence_of_element_located((By.ID, "state")))
    return c.record_id_from_url()


def duplicate_warning(c):
    """The same person again (another spelling of the tone mark): a warning, then not stored."""
    c.go("/records/new")
    c.choose("nominee_kind", "individual")
    c.type("nominee_name", "Nguyễn Thị Thủy")
    c.type("birth_date", "28/02/1985")
    c.type("title", "Một thành tích khác")
    c.choose("category", "KT_XH")
    c.type("achieved_on", "16/03/2025")
    c.choose("proposed_award", "BK_UBND_TINH")
    c.click("add")
    c.wait.until(EC.presence_of_element_located((By.ID, "duplicate")))
    check(len(c.office_records()) == 2, "a possible duplicate was stored without confirmation")


def list_and_edit(c, rid):
    c.go("/records")
    names = [a.text for a in c.drv.find_elements(By.CSS_SELECTOR, "table.records td:first-child a")]
    # By given name, the Vietnamese way: Phú (Ấp Tân Phú) before Thuỷ.
    check(names == ["Ấp Tân Phú", "Nguyễn Thị Thuỷ"], "the list reads %r" % names)
    c.shot("list")
    c.type("q", "nguyen thi thuy")
    c.click("search")
    c.wait.until(EC.url_contains("q="))
    names = [a.text for a in c.drv.find_elements(By.CSS_SELECTOR, "table.records td:first-child a")]
    check(names == ["Nguyễn Thị Thuỷ"], "searching without diacritics found %r" % names)

    c.go("/records/%s" % rid)
    c.click("edit")
    c.wait.until(EC.presence_of_element_located((By.NAME, "title")))
    c.type("title", "Dẫn đầu phong trào phát triển kinh tế hộ gia đình năm 2025")
    c.click("save")
    c.wait.until(EC.presence_of_element_located((By.ID, "state")))
    recs = {r["id"]: r for r in c.office_records()}
    check(recs[rid]["revision"] == 2 and recs[rid]["title"].endswith("năm 2025"),
          "the edit is not revision 2: %r" % recs[rid])


def sync(c, pause_server=False):
    c.go("/status")
    if pause_server:
        os.kill(c.args.server_pid, signal.SIGSTOP)
    try:
        c.click("sync")
        c.wait.until(lambda d: d.find_element(By.ID, "sync").get_attribute("data-phase")
                     in ("running", "done"))
        if pause_server:
            # The pages answer while the sync waits for the server.
            t = time.monotonic()
            st, body, _ = c.raw("GET", "/records")
            check(st == 200 and time.monotonic() - t < 2, "the console did not answer during a sync")
            st, body, _ = c.raw("GET", "/sync/state")
            check(json.loads(body)["phase"] == "running", "the sync is not shown as running")
            c.shot("sync-running")
    finally:
        if pause_server:
            os.kill(c.args.server_pid, signal.SIGCONT)
    try:
        c.waiter(90).until(
            lambda d: d.find_element(By.ID, "sync").get_attribute("data-phase") == "done")
    except TimeoutException:
        fail("the sync did not finish: " + c.drv.find_element(By.ID, "sync-state").text)
    text = c.drv.find_element(By.ID, "sync-state").text
    check("error" not in (c.drv.find_element(By.ID, "sync-state").get_attribute("class") or ""),
          "the sync failed: " + text)
    return text


def province_returns(c, rid):
    rows = json.loads(c.thidua(c.args.province, "--json", "review", "list"))
    rows = rows["records"] if isinstance(rows, dict) else rows
    ids = sorted(r["id"] for r in rows)
    check(len(ids) == 2 and rid in ids, "the province does not hold both records: %r" % ids)
    c.thidua(c.args.province, "return", rid, "--revision", "2", "--reason",
             "Bổ sung xác nhận của UBND xã")


def sees_return(c, rid):
    c.go("/records/%s" % rid)
    state = c.drv.find_element(By.ID, "state")
    check("attention" in state.get_attribute("class"), "a returned record is not marked")
    dec = c.drv.find_element(By.ID, "decisions").text
    check("Bổ sung xác nhận của UBND xã" in dec, "the return's reason is not on the page: " + dec)
    c.shot("record-returned")
    c.go("/status")
    att = c.drv.find_element(By.ID, "attention").text
    check("Nguyễn Thị Thuỷ" in att, "the status page does not list the returned record")
    c.shot("status")


def withdraw(c, rid):
    """Withdrawing asks for a tick first; then the record is a last revision, locked."""
    c.go("/records/%s" % rid)
    c.click("withdraw")  # without the tick the browser does not send it
    check(not c.office_records_by_id()[rid]["withdrawn"], "withdrawn without the confirmation")
    c.field("confirm").click()
    c.click("withdraw")
    c.wait.until(EC.url_contains("done=withdrawn"))
    # Seen by another program: a commit of the console after its sync thread closed its own
    # connection to the store is on disk (store.c, create_private).
    check(c.office_records_by_id()[rid]["withdrawn"], "the withdrawal was not stored")
    check(not c.drv.find_elements(By.CSS_SELECTOR, '[data-action="edit"]'),
          "a withdrawn record still offers to edit it")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--thidua", required=True)
    ap.add_argument("--office", required=True)
    ap.add_argument("--province", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--shots", required=True)
    args = ap.parse_args()
    c = Console(args)
    try:
        door(c)
        rid = add_individual(c)
        cid = add_collective(c)
        duplicate_warning(c)
        list_and_edit(c, rid)
        sync(c, pause_server=True)
        province_returns(c, rid)
        sync(c)
        sees_return(c, rid)
        withdraw(c, cid)
    finally:
        c.drv.quit()
    print("ok")


if __name__ == "__main__":
    main()
