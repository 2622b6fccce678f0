#!/usr/bin/env python3
"""import_files.py DIR - the spreadsheets of test_client_local's import tests.

The same 50 nominations, written as an office's programs would write them:
  noms-utf8.csv     UTF-8 with BOM, ',' (Excel's "CSV UTF-8")
  noms-cp1258.csv   Windows-1258, ';', tones as combining marks where the code
                    page has no precomposed letter (as Windows converts)
  noms-tcvn3.csv    TCVN3 (ABC), tab separated
  noms-vni.csv      VNI-Windows, ','
  noms.xlsx         openpyxl: numbers for STT, real dates, a title above the
                    header, so that the header is row 3
  bad.xlsx          the same sheet with five bad rows (their rows on stdout)
and hostile workbooks: bomb.xlsx, missing.xlsx, hugecell.xlsx, truncated.xlsx,
dtd.xlsx.

The TCVN3 and VNI encoders here are this script's own, written from the
published tables independently of the C decoders they test.
"""
import datetime
import io
import os
import sys
import unicodedata
import zipfile

import openpyxl

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Thị Dung", "Quốc Đạt", "Hữu Nghĩa",
         "Thị Ánh Tuyết", "Ngọc Ẩn", "Xuân Ưng"]
# Only what TCVN3 can write: no typographic dashes or quotes.
CATEGORY = ["ASXH", "An sinh xã hội", "KT_XH", "QP_AN"]


def nominations():
    """(STT, kind, name, birth, gender, position, workplace, title, summary, category,
    achieved, award) with dates as datetime.date or None."""
    rows = []
    for i in range(1, 51):
        collective = i % 4 == 0
        name = ("Tổ dân phố số %d" % i) if collective else \
            "%s %s" % (FAMILY[i % len(FAMILY)], GIVEN[i % len(GIVEN)])
        rows.append((
            i,
            "Tập thể" if collective else "Cá nhân",
            name,
            None if collective else datetime.date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
            "" if collective else ("Nữ" if "Thị" in name else "Nam"),
            "" if collective else "Chuyên viên phòng Lao động - Thương binh và Xã hội",
            "UBND xã Hiệp Hưng" if i % 2 else "Trường THCS Kinh Cùng",
            "Hoàn thành xuất sắc nhiệm vụ năm 2024, lần %d" % i,
            "Năm 2024 đạt thành tích: vận động ủng hộ quỹ \"Vì người nghèo\"; "
            "tổ chức được %d lớp tập huấn." % i,
            CATEGORY[i % len(CATEGORY)],
            datetime.date(2024, 7 + i % 6, 1 + i % 28),
            "GIAY_KHEN" if i % 3 else "Giấy khen",
        ))
    return rows


HEADER = ["STT", "Loại", "Họ và tên", "Ngày, tháng, năm sinh", "Giới tính", "Chức vụ",
          "Đơn vị công tác", "Thành tích", "Báo cáo thành tích", "Lĩnh vực", "Ngày đạt",
          "Hình thức khen thưởng"]


def as_text(v):
    if v is None:
        return ""
    if isinstance(v, datetime.date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def csv_text(rows, sep):
    def cell(s):
        if any(c in s for c in (sep, '"', "\n", "\r")):
            return '"' + s.replace('"', '""') + '"'
        return s
    lines = [sep.join(cell(h) for h in HEADER)]
    for r in rows:
        lines.append(sep.join(cell(as_text(v)) for v in r))
    return "\r\n".join(lines) + "\r\n"


# ---- Windows-1258: Python's codec, tones split off where it has no letter for them ----

def cp1258(text):
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], parts[1:]
        # Keep the vowel mark with its letter (ê, ơ, ...) when the code page has the pair;
        # NFD may put it after a dot below, which sorts first.
        quality = [m for m in marks if m in "\u0302\u0306\u031b"]
        if quality:
            pair = unicodedata.normalize("NFC", base + quality[0])
            try:
                pair.encode("cp1258")
                base, marks = pair, marks.replace(quality[0], "")
            except UnicodeEncodeError:
                pass
        out += (base + marks).encode("cp1258")
    return bytes(out)


# ---- TCVN3: letters in byte order, as the TCVN 5712:1993 chart lists them ----

TCVN3_CHART = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ",
    0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ", 0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
    0x80: "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ",
    0xA1: "ĂÂÊÔƠƯĐăâêôơưđẰ",
    0xB5: "àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò",
    0xE0: "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ",
}


def tcvn3_table():
    table = {}
    for start, letters in TCVN3_CHART.items():
        for k, ch in enumerate(letters):
            table[ch] = start + k
    return table


def tcvn3(text):
    table = tcvn3_table()
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ord(ch) < 0x80:
            out.append(ord(ch))
        else:
            out.append(table[ch])  # a KeyError is a letter TCVN3 lacks: the test data is wrong
    return bytes(out)


# ---- VNI: a letter, then one byte for its vowel mark and tone ----

VNI_TONE = {"": "", "\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
VNI_CIRC = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
VNI_I = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}
VNI_OWN = {"đ": "ñ", "ơ": "ô", "ư": "ö"}


def vni_letter(ch):
    low = ch.lower()
    up = ch != low
    if low in VNI_OWN:
        s = VNI_OWN[low]
        return s.upper() if up else s
    parts = unicodedata.normalize("NFD", low)
    base, marks = parts[0], parts[1:]
    quality = "".join(m for m in marks if m in "\u0302\u0306\u031b")
    tone = "".join(m for m in marks if m not in "\u0302\u0306\u031b")
    if quality == "\u031b":  # ơ, ư carry their tone like a plain vowel
        s = VNI_OWN[unicodedata.normalize("NFC", base + quality)] + VNI_TONE[tone]
    elif quality == "\u0302":
        s = base + VNI_CIRC[tone]
    elif quality == "\u0306":
        s = base + VNI_BREVE[tone]
    elif base == "i" and tone:
        s = VNI_I[tone]
    elif base == "y" and tone == "\u0323":
        s = "î"
    else:
        s = base + VNI_TONE[tone]
    return s.upper() if up else s


def vni(text):
    out = []
    for ch in unicodedata.normalize("NFC", text):
        out.append(ch if ord(ch) < 0x80 else vni_letter(ch))
    return "".join(out).encode("cp1252")


# ---- XLSX ----

def workbook(rows, bad=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.append(["DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG"])  # row 1: a title
    ws.append([])                                # row 2: blank
    ws.append(HEADER + [None, None])             # row 3: the header, two empty cells after it
    for r in rows:
        ws.append(list(r))
        ws.cell(row=ws.max_row, column=4).number_format = "dd/mm/yyyy"
        ws.cell(row=ws.max_row, column=11).number_format = "dd/mm/yyyy"
    other = wb.create_sheet("Ghi chú")
    other.append(["not a list of nominations"])
    return wb


def bad_rows(rows):
    """Five bad rows among the 50: their STT and the reason, in the sheet."""
    rows = [list(r) for r in rows]
    rows[6][10] = "31/02/2025"    # STT 7: no such day
    rows[14][2] = ""              # STT 15: no name
    rows[22][1] = "Nhóm"          # STT 23: no such kind
    rows[30][10] = datetime.date(2023, 5, 1)  # STT 31: outside the campaign
    rows[38][11] = "Huân chương"  # STT 39: no such award
    return [tuple(r) for r in rows], [7, 15, 23, 31, 39]


def hostile(d):
    # A part that unpacks to far more than any workbook: a few KB packed.
    with zipfile.ZipFile(os.path.join(d, "bomb.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b" " * (200 * 1024 * 1024))
    # No workbook part at all.
    with zipfile.ZipFile(os.path.join(d, "missing.xlsx"), "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    # A cell of 200,000 characters, past Excel's own limit (openpyxl would cut it): by hand,
    # as inline strings.
    def inline(ref, text):
        return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, text)
    with zipfile.ZipFile(os.path.join(d, "hugecell.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml",
                   '<workbook xmlns="urn:main" xmlns:r="urn:rel"><sheets>'
                   '<sheet name="A" sheetId="1" r:id="rId7"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships><Relationship Id="rId7" Target="worksheets/s.xml"/>'
                   '</Relationships>')
        z.writestr("xl/worksheets/s.xml",
                   '<worksheet><sheetData><row r="1">' + inline("A1", "Loại") +
                   inline("B1", "Họ và tên") + '</row><row r="2">' + inline("A2", "Cá nhân") +
                   inline("B2", "A" * 200000) + '</row></sheetData></worksheet>')
    # A workbook cut short.
    buf = io.BytesIO()
    workbook(nominations()).save(buf)
    with open(os.path.join(d, "truncated.xlsx"), "wb") as f:
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
    # Entities: the way XML bombs work.
    with zipfile.ZipFile(os.path.join(d, "dtd.xlsx"), "w") as z:
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]>'
                   '<workbook><sheets><sheet name="&a;" r:id="rId1" '
                   'xmlns:r="urn:r"/></sheets></workbook>')


def main():
    d = sys.argv[1]
    rows = nominations()
    text = csv_text(rows, ",")
    with open(os.path.join(d, "noms-utf8.csv"), "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with open(os.path.join(d, "noms-cp1258.csv"), "wb") as f:
        f.write(cp1258(csv_text(rows, ";")))
    with open(os.path.join(d, "noms-tcvn3.csv"), "wb") as f:
        f.write(tcvn3(csv_text(rows, "\t")))
    with open(os.path.join(d, "noms-vni.csv"), "wb") as f:
        f.write(vni(text))
    workbook(rows).save(os.path.join(d, "noms.xlsx"))
    broken, stts = bad_rows(rows)
    workbook(broken).save(os.path.join(d, "bad.xlsx"))
    hostile(d)
    # The header is row 3: STT s is row s + 3.
    print(" ".join(str(s + 3) for s in stts))


if __name__ == "__main__":
    main()
