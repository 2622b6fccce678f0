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
  - a 20-row CSV (UTF-8 with a BOM, as Excel's "CSV UTF-8" saves it) with two bad rows:
    the preview names both with their column and stores nothing; the
    confirmation stores the 18 others, and a stale confirmation is refused;
  - the status page prints the Tờ trình of what the province holds as PDF and
    DOCX (read back with pdftotext and python-docx): the submitted ones, not
    the returned one;
  - withdrawing asks for a confirmation, then locks the record.
Screenshots of the main pages go to --shots.
"""
import argparse
import http.client
import json
import os
import signal
import subprocess
import time
import urllib.parse

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from console_browser import Browser, check, fail


class Console(Browser):
    def __init__(self, args):
        super().__init__(args, "console")

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


IMPORT_HEAD = ("STT,Loại,Họ và tên,Ngày sinh,Giới tính,Chức vụ,Đơn vị công tác,Thành tích,"
               "Lĩnh vực,Ngày đạt,Hình thức khen thưởng\r\n")
IMPORT_GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hằng", "Hiếu", "Hoà",
                "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nga", "Ngọc", "Phúc", "Quân")


def import_list(c):
    """Twenty rows, two of them wrong: previewed, named, then the 18 good ones stored."""
    rows = []
    for i in range(1, 21):
        date = "%02d/04/2025" % i
        award = "BK_UBND_TINH"
        if i == 7:
            date = "31/02/2025"  # no such day
        if i == 13:
            award = "HUAN_CHUONG_VANG"  # not a form of the campaign
        rows.append('%d,Cá nhân,Trần Văn %s,01/01/19%02d,Nam,Tổ trưởng,"Ấp %d, xã Tân Hòa",'
                    'Hoàn thành xuất sắc nhiệm vụ năm 2025,KT_XH,%s,%s\r\n'
                    % (i, IMPORT_GIVEN[i - 1], 60 + i, i, date, award))
    path = os.path.join(c.args.work, "danh-sach.csv")
    os.makedirs(c.args.work, exist_ok=True)
    with open(path, "wb") as f:
        f.write((IMPORT_HEAD + "".join(rows)).encode("utf-8-sig"))
    before = len(c.office_records())

    c.go("/import")
    c.field("file").send_keys(path)
    c.click("preview")
    c.wait.until(EC.presence_of_element_located((By.ID, "preview")))
    c.shot("import-preview")
    summary = c.drv.find_element(By.ID, "summary")
    check(summary.get_attribute("data-good") == "18" and summary.get_attribute("data-refused") == "2",
          "the preview counts %s good and %s refused rows, not 18 and 2"
          % (summary.get_attribute("data-good"), summary.get_attribute("data-refused")))
    trs = c.drv.find_elements(By.CSS_SELECTOR, "#preview tbody tr")
    check(len(trs) == 20, "the preview shows %d rows, not every one of the 20" % len(trs))
    refused = {tr.get_attribute("data-row"): tr.text
               for tr in trs if tr.get_attribute("data-outcome") == "refused"}
    # Excel's row numbers: the header is row 1, so STT 7 is row 8.
    check(sorted(refused) == ["14", "8"], "the refused rows are %r" % sorted(refused))
    check("Ngày đạt" in refused["8"] and "31/02/2025" in refused["8"],
          "row 8's problem is not named at its column: %r" % refused["8"])
    check("Hình thức khen thưởng" in refused["14"],
          "row 14's problem is not named at its column: %r" % refused["14"])
    check("Trần Văn Hải" in refused["8"], "a refused row does not show whose it is")
    check(len(c.office_records()) == before, "the preview stored something")

    # A confirmation for another file (a stale form) stores nothing.
    csrf = c.drv.find_element(By.NAME, "csrf").get_attribute("value")
    st, body, _ = c.raw("POST", "/import/confirm",
                        body=urllib.parse.urlencode({"csrf": csrf, "key": "0" * 64}))
    check(st == 200 and 'id="problems"' in body, "a stale confirmation was not refused")
    check(len(c.office_records()) == before, "a stale confirmation stored something")

    c.click("import")
    c.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#summary[data-imported]")))
    summary = c.drv.find_element(By.ID, "summary")
    check(summary.get_attribute("data-imported") == "18",
          "the import stored %s rows, not 18" % summary.get_attribute("data-imported"))
    left = [tr.get_attribute("data-row") for tr in
            c.drv.find_elements(By.CSS_SELECTOR, "#preview tbody tr")]
    check(sorted(left) == ["14", "8"], "after the import the rows left out read %r" % left)
    c.shot("import-done")
    recs = c.office_records()
    check(len(recs) == before + 18, "the store holds %d records, not %d" % (len(recs), before + 18))
    names = {r["nominee_name"] for r in recs}
    check("Trần Văn Hằng" in names and "Trần Văn Hải" not in names,
          "the wrong rows were stored: %r" % sorted(names))


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
    check(len(ids) == 20 and rid in ids, "the province does not hold the 20 records: %r" % ids)
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


def print_submission(c):
    """The Tờ trình of the submitted nominations, as the office signs it."""
    c.go("/status")
    check(c.drv.find_elements(By.CSS_SELECTOR, '[data-action="print-pdf"]'),
          "the status page offers no Tờ trình")
    docs = {}
    for ext in ("pdf", "docx"):
        path = os.path.join(c.args.work, "to-trinh." + ext)
        with open(path, "wb") as f:
            f.write(c.download("/print/submission.%s?status=submitted" % ext))
        docs[ext] = path
    text = subprocess.run(["pdftotext", "-layout", docs["pdf"], "-"], capture_output=True,
                          text=True, check=True).stdout
    import docx
    dtext = "\n".join(p.text for p in docx.Document(docs["docx"]).paragraphs)
    for t in docx.Document(docs["docx"]).tables:
        for row in t.rows:
            dtext += "\n" + " | ".join(cell.text for cell in row.cells)
    for name, where in ((text, "PDF"), (dtext, "DOCX")):
        check("TỜ TRÌNH" in name, "the %s is not a Tờ trình" % where)
        check("Trần Văn Quân" in name and "Ấp Tân Phú" in name,
              "the %s lacks a submitted nomination" % where)
        check("Nguyễn Thị Thuỷ" not in name, "the %s lists the returned nomination" % where)


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
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    c = Console(args)
    try:
        door(c)
        rid = add_individual(c)
        cid = add_collective(c)
        duplicate_warning(c)
        list_and_edit(c, rid)
        import_list(c)
        sync(c, pause_server=True)
        province_returns(c, rid)
        sync(c)
        sees_return(c, rid)
        print_submission(c)
        withdraw(c, cid)
    finally:
        c.drv.quit()
    print("ok")


if __name__ == "__main__":
    main()
