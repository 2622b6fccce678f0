#!/usr/bin/env python3
"""console_province.py - the province's review and awards in the console, in
headless Chromium; a district office (935) plays its part through its CLI.
test_console.c starts the world and the province's `thidua ui`, then runs this
with the URL it printed.

What the province relies on, each step asserted:
  - the queue shows the office's four nominations, filtered by unit; a name
    typed without diacritics finds one; the possible-duplicates filter finds
    the two that are the same person;
  - returning one asks for a reason (without one: the problem at the field,
    nothing decided); with one, it reaches the office at its next sync;
  - the office's corrected revision shows on the record's page with what
    changed (the field, old and new), and is approved at that revision;
  - a decision made on a page read before the office sent a new revision is
    refused and shows the change; made again on what is shown, it goes through;
  - three approved nominations are awarded under one decision; the decision
    prints (PDF, read back with pdftotext) with the three names;
  - the report counts the three awards, by status and by form, and its
    workbook opens in openpyxl with the same figures;
  - the units and the campaigns are listed;
  - the office sees the award after a sync.
"""
import argparse
import json
import os
import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from console_browser import Browser, check, fail

SIGNER = "KT. CHỦ TỊCH – PHÓ CHỦ TỊCH Nguyễn Văn An"
NOMINEES = [  # name, birth date, title
    ("Lê Thị Bích", "12/03/1980", "Hoàn thành xuất sắc nhiệm vụ năm 2025"),
    ("Phạm Văn Cường", "05/06/1975", "Dẫn đầu phong trào thi đua"),
    ("Võ Thị Diệu", "21/11/1990", "Chiến sĩ thi đua cơ sở"),
    ("Võ Thị Diệu", "21/11/1990", "Chiến sĩ thi đua cơ sở, lần hai"),
]


class Province(Browser):
    def __init__(self, args):
        super().__init__(args, "province")

    def office(self, *argv, expect=0):
        p = subprocess.run([self.args.thidua, "-c", self.args.office] + list(argv),
                           capture_output=True, text=True, env=dict(os.environ, LANG="C.UTF-8"))
        if p.returncode != expect:
            fail("thidua %s exited %d: %s%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
        return p.stdout

    def office_records(self):
        return json.loads(self.office("--json", "list"))

    def queue_names(self):
        return [a.text for a in self.drv.find_elements(By.CSS_SELECTOR, "#queue td:first-child a")]

    def state(self):
        el = self.drv.find_element(By.ID, "state")
        return el.get_attribute("data-status"), int(el.get_attribute("data-revision"))


def office_adds(p):
    for name, birth, title in NOMINEES:
        p.office("add", "--kind", "individual", "--name", name, "--birth-date", birth,
                 "--gender", "female" if "Thị" in name else "male", "--title", title,
                 "--category", "KT_XH", "--achieved-on", "10/05/2025", "--award", "BK_UBND_TINH")
    p.office("sync")
    ids = {}
    for r in p.office_records():
        ids.setdefault(r["nominee_name"], []).append(r["id"])
    return ids


def queue(p, ids):
    p.drv.get(p.args.url)
    p.wait.until(EC.presence_of_element_located((By.ID, "count")))
    check(p.drv.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi",
          "the province's console is not in Vietnamese")
    p.choose("unit", "935")
    p.click("filter")
    p.wait.until(EC.url_contains("unit=935"))
    names = p.queue_names()
    check(sorted(names) == sorted(n for n, _, _ in NOMINEES),
          "the queue of unit 935 reads %r" % names)
    # By given name, the Vietnamese order: Bích, Cường, Diệu.
    check(names[0] == "Lê Thị Bích" and names[1] == "Phạm Văn Cường",
          "the queue is not in the Vietnamese order: %r" % names)
    p.shot("queue")
    p.type("q", "pham van cuong")
    p.click("filter")
    p.wait.until(EC.url_contains("q=pham"))
    check(p.queue_names() == ["Phạm Văn Cường"], "the name search found %r" % p.queue_names())
    p.go("/review?unit=935&status=all&dups=1")
    check(p.queue_names() == ["Võ Thị Diệu", "Võ Thị Diệu"],
          "the possible duplicates are %r" % p.queue_names())


def return_and_resubmit(p, rid):
    p.go("/review/" + rid)
    p.wait.until(EC.presence_of_element_located((By.ID, "decide")))
    p.shot("record")
    # Returning needs a reason: without one nothing is decided.
    p.click("return")
    p.wait.until(EC.presence_of_element_located((By.ID, "problems")))
    check(p.drv.find_elements(By.CSS_SELECTOR, '#problems [data-field="reason"]'),
          "a return without a reason does not name the reason field")
    check(p.state() == ("submitted", 1), "a refused return changed the record: %r" % (p.state(),))
    p.type("reason", "Bổ sung xác nhận của UBND xã về thành tích")
    p.click("return")
    p.wait.until(EC.url_contains("done=return"))
    check(p.state()[0] == "returned", "the record is not returned: %r" % (p.state(),))

    # The office sees the return, corrects the title and sends revision 2.
    p.office("sync")
    rec = [r for r in p.office_records() if r["id"] == rid][0]
    check(rec["status"] == "returned", "the office does not see the return: %r" % rec)
    shown = p.office("show", rid)
    check("Bổ sung xác nhận của UBND xã" in shown, "the office does not see the reason")
    p.office("edit", rid, "--title", "Hoàn thành xuất sắc nhiệm vụ năm 2025 (có xác nhận của xã)")
    p.office("sync")

    p.go("/review/" + rid)
    check(p.state() == ("submitted", 2), "the resubmitted record reads %r" % (p.state(),))
    rows = p.drv.find_elements(By.CSS_SELECTOR, "#diff tr.changed")
    check([r.get_attribute("data-field") for r in rows] == ["title"],
          "the changes of revision 2 read %r" % [r.get_attribute("data-field") for r in rows])
    check("(có xác nhận của xã)" in rows[0].find_element(By.CSS_SELECTOR, "td.new").text,
          "the new title is not shown in the changes")
    p.shot("record-diff")
    p.click("approve")
    p.wait.until(EC.url_contains("done=approve"))
    check(p.state() == ("approved", 2), "not approved at revision 2: %r" % (p.state(),))


def stale_decision(p, rid):
    p.go("/review/" + rid)
    p.wait.until(EC.presence_of_element_located((By.ID, "decide")))
    # Meanwhile the office sends another revision.
    p.office("edit", rid, "--position", "Phó Chủ tịch Hội Nông dân xã")
    p.office("sync")
    p.click("approve")
    p.wait.until(EC.presence_of_element_located((By.ID, "problems")))
    text = p.drv.find_element(By.ID, "problems").text
    check("2" in text, "the refusal does not name the revision read: %r" % text)
    check(p.state() == ("submitted", 3), "a stale approval changed the record: %r" % (p.state(),))
    rows = [r.get_attribute("data-field")
            for r in p.drv.find_elements(By.CSS_SELECTOR, "#diff tr.changed")]
    check(rows == ["position"], "the refusal does not show what changed: %r" % rows)
    p.shot("record-stale")
    p.click("approve")
    p.wait.until(EC.url_contains("done=approve"))
    check(p.state() == ("approved", 3), "not approved after reading the change: %r" % (p.state(),))


def approve(p, rid):
    p.go("/review/" + rid)
    p.wait.until(EC.presence_of_element_located((By.ID, "decide")))
    p.click("approve")
    p.wait.until(EC.url_contains("done=approve"))


def award(p, ids):
    p.go("/awards?award=BK_UBND_TINH")
    p.wait.until(EC.presence_of_element_located((By.ID, "approved")))
    listed = sorted(tr.get_attribute("data-id")
                    for tr in p.drv.find_elements(By.CSS_SELECTOR, "#approved tbody tr"))
    check(listed == sorted(ids), "the approved list reads %r, not %r" % (listed, sorted(ids)))
    # A decision without its number is refused, with what was ticked kept.
    for rid in ids:
        p.drv.find_element(By.ID, "pick-" + rid).click()
    p.type("date", "20/07/2025")
    p.type("signer", SIGNER)
    p.drv.execute_script("document.getElementById('number').removeAttribute('required')")
    p.click("award")
    p.wait.until(EC.presence_of_element_located((By.ID, "problems")))
    check(p.drv.find_elements(By.CSS_SELECTOR, '#problems [data-field="number"]'),
          "a decision without a number is not refused at its field")
    ticked = [rid for rid in ids if p.drv.find_element(By.ID, "pick-" + rid).is_selected()]
    check(sorted(ticked) == sorted(ids), "the ticks were lost")
    p.type("number", "57/QĐ-UBND")
    p.shot("awards")
    p.click("award")
    p.wait.until(EC.presence_of_element_located((By.ID, "result")))
    res = p.drv.find_element(By.ID, "result")
    check(res.get_attribute("data-applied") == "3",
          "%s of 3 awarded" % res.get_attribute("data-applied"))
    p.shot("awarded")
    pdf = os.path.join(p.args.work, "quyet-dinh.pdf")
    with open(pdf, "wb") as f:
        f.write(p.download("/decisions/print.pdf?number=57%2FQ%C4%90-UBND&year=2025"))
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout
    check("QUYẾT ĐỊNH" in text and "57/QĐ-UBND" in text, "the decision PDF is not the decision")
    for name in ("Lê Thị Bích", "Phạm Văn Cường", "Võ Thị Diệu"):
        check(name in text, "the decision does not list %s" % name)


def report(p):
    p.go("/report")
    p.wait.until(EC.presence_of_element_located((By.ID, "by-status")))
    n = p.drv.find_element(By.CSS_SELECTOR, '#by-status tr[data-code="awarded"] td').text
    check(n == "3", "the report counts %s awarded" % n)
    n = p.drv.find_element(By.CSS_SELECTOR, '#by-form tr[data-code="BK_UBND_TINH"] td').text
    check(n == "3", "the report counts %s Bằng khen" % n)
    p.shot("report")
    path = os.path.join(p.args.work, "bao-cao.xlsx")
    with open(path, "wb") as f:
        f.write(p.download("/report/bao-cao.xlsx"))
    import openpyxl
    wb = openpyxl.load_workbook(path)
    names = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    for name in ("Lê Thị Bích", "Phạm Văn Cường", "Võ Thị Diệu"):
        check(name in names, "the report's workbook does not list %s" % name)


def units_and_campaigns(p):
    p.go("/units")
    row = p.drv.find_element(By.CSS_SELECTOR, '#units tr[data-code="935"]')
    check("Huyện Vị Thuỷ" in row.text, "the units page reads %r for 935" % row.text)
    p.shot("units")
    p.go("/campaigns")
    camp = p.drv.find_element(By.CSS_SELECTOR, 'section.campaign[data-code="HG-DB-2025"]')
    check("01/07/2024" in camp.text and "BK_UBND_TINH" in camp.text,
          "the campaigns page lacks the campaign's dates or forms: %r" % camp.text[:300])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--thidua", required=True)
    ap.add_argument("--office", required=True)
    ap.add_argument("--shots", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    p = Province(args)
    try:
        ids = office_adds(p)
        queue(p, ids)
        bich, cuong, dieu = ids["Lê Thị Bích"][0], ids["Phạm Văn Cường"][0], ids["Võ Thị Diệu"][0]
        return_and_resubmit(p, bich)
        # Cường is edited once first: the page is read at revision 2, the office sends 3.
        p.office("edit", cuong, "--workplace", "UBND xã Vị Thắng")
        p.office("sync")
        stale_decision(p, cuong)
        approve(p, dieu)
        award(p, [bich, cuong, dieu])
        report(p)
        units_and_campaigns(p)
        p.office("sync")
        rec = [r for r in p.office_records() if r["id"] == bich][0]
        check(rec["status"] == "awarded", "the office does not see the award: %r" % rec)
    finally:
        p.drv.quit()
    print("ok")


if __name__ == "__main__":
    main()
