/*
 * docx_parts.c - the parts of a DOCX package around word/document.xml: the
 * content types, the relationships, the styles, the settings, the headers
 * and the file's properties. They hardly change from one document to the
 * next, but Word will not open a package that lacks one it points to.
 */
#include "docx_int.h"

#include <string.h>

#include "version.h"
#include "xml_escape.h"

#define DOCX_XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define DOCX_NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define DOCX_NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define DOCX_NS_PKG_RELS "http://schemas.openxmlformats.org/package/2006/relationships"
#define DOCX_CT_WML "application/vnd.openxmlformats-officedocument.wordprocessingml."

void docx_content_types_xml(strbuf_t *out, bool headers)
{
    strbuf_puts(out, DOCX_XML_DECL
                "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                "<Default Extension=\"rels\" "
                "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                "<Override PartName=\"/word/document.xml\" "
                "ContentType=\"" DOCX_CT_WML "document.main+xml\"/>"
                "<Override PartName=\"/word/styles.xml\" "
                "ContentType=\"" DOCX_CT_WML "styles+xml\"/>"
                "<Override PartName=\"/word/settings.xml\" "
                "ContentType=\"" DOCX_CT_WML "settings+xml\"/>");
    if (headers)
        strbuf_puts(out, "<Override PartName=\"/word/header1.xml\" "
                         "ContentType=\"" DOCX_CT_WML "header+xml\"/>"
                         "<Override PartName=\"/word/header2.xml\" "
                         "ContentType=\"" DOCX_CT_WML "header+xml\"/>");
    strbuf_puts(out, "<Override PartName=\"/docProps/core.xml\" "
                     "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
                     "<Override PartName=\"/docProps/app.xml\" "
                     "ContentType=\"application/"
                     "vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
                     "</Types>");
}

void docx_package_rels_xml(strbuf_t *out)
{
    strbuf_puts(out, DOCX_XML_DECL "<Relationships xmlns=\"" DOCX_NS_PKG_RELS "\">"
                                   "<Relationship Id=\"rId1\" "
                                   "Type=\"" DOCX_NS_R "/officeDocument\" "
                                   "Target=\"word/document.xml\"/>"
                                   "<Relationship Id=\"rId2\" "
                                   "Type=\"" DOCX_NS_PKG_RELS "/metadata/core-properties\" "
                                   "Target=\"docProps/core.xml\"/>"
                                   "<Relationship Id=\"rId3\" "
                                   "Type=\"" DOCX_NS_R "/extended-properties\" "
                                   "Target=\"docProps/app.xml\"/>"
                                   "</Relationships>");
}

void docx_document_rels_xml(strbuf_t *out, bool headers)
{
    strbuf_puts(out, DOCX_XML_DECL "<Relationships xmlns=\"" DOCX_NS_PKG_RELS "\">"
                                   "<Relationship Id=\"" DOCX_RID_STYLES "\" "
                                   "Type=\"" DOCX_NS_R "/styles\" Target=\"styles.xml\"/>"
                                   "<Relationship Id=\"" DOCX_RID_SETTINGS "\" "
                                   "Type=\"" DOCX_NS_R "/settings\" Target=\"settings.xml\"/>");
    if (headers)
        strbuf_puts(out, "<Relationship Id=\"" DOCX_RID_HEADER_NUMBER "\" "
                         "Type=\"" DOCX_NS_R "/header\" Target=\"header1.xml\"/>"
                         "<Relationship Id=\"" DOCX_RID_HEADER_EMPTY "\" "
                         "Type=\"" DOCX_NS_R "/header\" Target=\"header2.xml\"/>");
    strbuf_puts(out, "</Relationships>");
}

/*
 * The font: Times New Roman, the face of the administrative documents of
 * Nghị định 30/2020 and the one a Word user expects to find in the font box.
 * The PDF is set in Liberation Serif (DOC_FONT_FAMILY), which has Times New
 * Roman's metrics: lines break at the same words in both, and LibreOffice
 * shows Liberation Serif where Times New Roman is missing. Vietnamese is the
 * language, for Word's spelling and hyphenation.
 *
 * The defaults are set to what the model means by nothing: no space around
 * paragraphs, single lines, and the Normal table's cell margins of Word.
 */
void docx_styles_xml(strbuf_t *out)
{
    strbuf_printf(out,
                  DOCX_XML_DECL
                  "<w:styles xmlns:w=\"" DOCX_NS_W "\">"
                  "<w:docDefaults><w:rPrDefault><w:rPr>"
                  "<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" "
                  "w:eastAsia=\"Times New Roman\" w:cs=\"Times New Roman\"/>"
                  "<w:sz w:val=\"%d\"/><w:szCs w:val=\"%d\"/>"
                  "<w:lang w:val=\"vi-VN\" w:eastAsia=\"en-US\" w:bidi=\"ar-SA\"/>"
                  "</w:rPr></w:rPrDefault>"
                  "<w:pPrDefault><w:pPr>"
                  "<w:spacing w:before=\"0\" w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/>"
                  "</w:pPr></w:pPrDefault></w:docDefaults>"
                  "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\">"
                  "<w:name w:val=\"Normal\"/><w:qFormat/></w:style>"
                  "<w:style w:type=\"character\" w:default=\"1\" "
                  "w:styleId=\"DefaultParagraphFont\">"
                  "<w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/>"
                  "<w:semiHidden/><w:unhideWhenUsed/></w:style>"
                  "<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\">"
                  "<w:name w:val=\"Normal Table\"/><w:uiPriority w:val=\"99\"/>"
                  "<w:semiHidden/><w:unhideWhenUsed/>"
                  "<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar>"
                  "<w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>"
                  "<w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/>"
                  "</w:tblCellMar></w:tblPr></w:style>"
                  "</w:styles>",
                  (int)(DOCX_NORMAL_PT * 2), (int)(DOCX_NORMAL_PT * 2));
}

/* compatibilityMode 15: Word 2013 and later open it as their own, not in "compatibility mode". */
void docx_settings_xml(strbuf_t *out)
{
    strbuf_puts(out, DOCX_XML_DECL
                "<w:settings xmlns:w=\"" DOCX_NS_W "\">"
                "<w:zoom w:percent=\"100\"/><w:defaultTabStop w:val=\"720\"/>"
                "<w:characterSpacingControl w:val=\"doNotCompress\"/>"
                "<w:compat><w:compatSetting w:name=\"compatibilityMode\" "
                "w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>"
                "<w:themeFontLang w:val=\"vi-VN\"/>"
                "</w:settings>");
}

/* A header: the page number centred (a PAGE field, which Word and LibreOffice fill), or nothing. */
void docx_header_xml(strbuf_t *out, bool page_number)
{
    strbuf_puts(out, DOCX_XML_DECL "<w:hdr xmlns:w=\"" DOCX_NS_W "\" xmlns:r=\"" DOCX_NS_R "\">"
                                   "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>");
    if (page_number)
        strbuf_puts(out, "<w:fldSimple w:instr=\" PAGE \"><w:r><w:t>1</w:t></w:r></w:fldSimple>");
    strbuf_puts(out, "</w:p></w:hdr>");
}

void docx_core_xml(strbuf_t *out, const char *title, const char *now)
{
    strbuf_puts(out,
                DOCX_XML_DECL "<cp:coreProperties "
                              "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/"
                              "core-properties\" "
                              "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
                              "xmlns:dcterms=\"http://purl.org/dc/terms/\" "
                              "xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" "
                              "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>");
    xml_escape_strbuf(out, title, strlen(title));
    strbuf_printf(out,
                  "</dc:title><dc:language>vi-VN</dc:language>"
                  "<dcterms:created xsi:type=\"dcterms:W3CDTF\">%s</dcterms:created>"
                  "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">%s</dcterms:modified>"
                  "</cp:coreProperties>",
                  now, now);
}

void docx_app_xml(strbuf_t *out)
{
    strbuf_puts(out, DOCX_XML_DECL "<Properties "
                                   "xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/"
                                   "extended-properties\"><Application>" THIDUA_CLIENT_VERSION
                                   "</Application>"
                                   "</Properties>");
}
