//! The bodies of the exports: the open data as CSV (Japanese column names in the style of
//! the Digital Agency's recommended datasets) and as JSON, and the secretariat's CSV. Every
//! CSV cell goes through [`text::csv_inert`], so no text a registrant typed runs as a
//! spreadsheet formula.

use crate::db::campaigns::CampaignRow;
use crate::db::export::Registration;
use crate::domain::event::tokyo;
use crate::domain::reference::{RefItem, CATEGORIES, FORMATS, PREFECTURES};
use crate::domain::text;
use crate::error::{ApiError, ApiResult};
use crate::service::export::Encoder;
use crate::service::public::PublicActivity;
use actix_web::web::Bytes;
use chrono::NaiveDateTime;
use serde_json::json;

/// The byte order mark that makes Excel read a CSV as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The open data's columns.
pub const PUBLIC_COLUMNS: [&str; 15] = [
    "ID",
    "キャンペーン",
    "カテゴリ",
    "タイトル",
    "概要",
    "団体名・氏名",
    "種別",
    "業種コード",
    "都道府県コード",
    "都道府県名",
    "形式",
    "開始日",
    "終了日",
    "URL",
    "承認日時",
];

/// The secretariat's columns: the activity, then its owner's account.
pub const REGISTRATION_COLUMNS: [&str; 31] = [
    "ID",
    "キャンペーン",
    "状態",
    "カテゴリ",
    "タイトル",
    "概要",
    "団体名・氏名",
    "都道府県コード",
    "形式",
    "開始日",
    "終了日",
    "URL",
    "作成日時",
    "申請日時",
    "承認日時",
    "判断日時",
    "却下・非公開の理由コード",
    "却下・非公開の理由",
    "アカウントID",
    "メールアドレス",
    "種別",
    "表示名",
    "正式名称",
    "フリガナ",
    "業種コード",
    "所在都道府県コード",
    "従業員規模",
    "ウェブサイト",
    "法人番号",
    "担当者名",
    "電話番号",
];

fn label(list: &[RefItem], code: &str) -> String {
    list.iter()
        .find(|i| i.code == code)
        .map_or_else(|| code.to_owned(), |i| i.name_ja.to_owned())
}

fn kind_ja(kind: &str) -> &'static str {
    match kind {
        "organization" => "団体",
        "individual" => "個人",
        _ => "",
    }
}

fn time(t: Option<NaiveDateTime>) -> String {
    t.map(|t| tokyo(t).to_rfc3339()).unwrap_or_default()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> ApiResult<Bytes> {
    let failed = |e: ::csv::Error| ApiError::internal(format!("csv: {e}"));
    let mut out = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(row.into_iter().map(text::csv_inert)).map_err(failed)?;
    }
    Ok(Bytes::from(
        out.into_inner().map_err(|e| ApiError::internal(format!("csv: {e}")))?,
    ))
}

fn header(bom: bool, columns: &[&str]) -> ApiResult<Bytes> {
    let row = csv_bytes([columns.iter().map(|c| c.to_string()).collect()])?;
    Ok(if bom {
        Bytes::from([BOM, &row[..]].concat())
    } else {
        row
    })
}

/// The open data as CSV.
pub struct PublicCsv {
    pub bom: bool,
    campaign: String,
}

impl PublicCsv {
    pub fn new(bom: bool) -> Self {
        Self {
            bom,
            campaign: String::new(),
        }
    }
}

impl Encoder<PublicActivity> for PublicCsv {
    fn head(&mut self, campaign: &CampaignRow) -> ApiResult<Bytes> {
        self.campaign = campaign.title.clone();
        header(self.bom, &PUBLIC_COLUMNS)
    }

    fn rows(&mut self, rows: &[PublicActivity]) -> ApiResult<Bytes> {
        csv_bytes(rows.iter().map(|a| {
            let categories: Vec<String> = a.categories.iter().map(|c| label(&CATEGORIES, c)).collect();
            vec![
                a.id.clone(),
                self.campaign.clone(),
                categories.join(";"),
                a.title.clone(),
                a.description.clone(),
                a.organizer_name.clone(),
                kind_ja(a.kind.as_str()).to_owned(),
                opt(&a.industry),
                opt(&a.prefecture),
                a.prefecture
                    .as_deref()
                    .map(|p| label(&PREFECTURES, p))
                    .unwrap_or_default(),
                a.format.as_deref().map(|f| label(&FORMATS, f)).unwrap_or_default(),
                a.starts_on.map(|d| d.to_string()).unwrap_or_default(),
                a.ends_on.map(|d| d.to_string()).unwrap_or_default(),
                opt(&a.url),
                a.approved_at
                    .map(|t| tokyo(t.naive_utc()).to_rfc3339())
                    .unwrap_or_default(),
            ]
        }))
    }

    fn tail(&mut self, _count: u64) -> ApiResult<Bytes> {
        Ok(Bytes::new())
    }
}

/// The open data as JSON: `{campaign, license, items: [...], total}`, items in the public
/// view.
pub struct PublicJson {
    license: serde_json::Value,
    first: bool,
}

impl PublicJson {
    pub fn new(license: serde_json::Value) -> Self {
        Self { license, first: true }
    }
}

impl Encoder<PublicActivity> for PublicJson {
    fn head(&mut self, campaign: &CampaignRow) -> ApiResult<Bytes> {
        let campaign = json!({"slug": campaign.slug, "title": campaign.title});
        let head = format!("{{\"campaign\":{campaign},\"license\":{},\"items\":[", self.license);
        Ok(Bytes::from(head))
    }

    fn rows(&mut self, rows: &[PublicActivity]) -> ApiResult<Bytes> {
        let mut out = Vec::with_capacity(rows.len() * 1024);
        for a in rows {
            if !std::mem::take(&mut self.first) {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, a).map_err(|e| ApiError::internal(e.to_string()))?;
        }
        Ok(Bytes::from(out))
    }

    fn tail(&mut self, count: u64) -> ApiResult<Bytes> {
        Ok(Bytes::from(format!("],\"total\":{count}}}")))
    }
}

/// The secretariat's export as CSV (with a BOM: it is opened in Excel).
#[derive(Default)]
pub struct RegistrationsCsv {
    campaign: String,
}

impl Encoder<Registration> for RegistrationsCsv {
    fn head(&mut self, campaign: &CampaignRow) -> ApiResult<Bytes> {
        self.campaign = campaign.slug.clone();
        header(true, &REGISTRATION_COLUMNS)
    }

    fn rows(&mut self, rows: &[Registration]) -> ApiResult<Bytes> {
        csv_bytes(rows.iter().map(|(a, o)| {
            let categories: Vec<String> = crate::domain::activity::category_codes(a.category_mask);
            vec![
                a.id.clone(),
                self.campaign.clone(),
                a.status.as_str().to_owned(),
                categories.join(";"),
                a.title.clone(),
                a.description.clone(),
                a.organizer_name.clone(),
                opt(&a.prefecture),
                opt(&a.format),
                a.starts_on.map(|d| d.to_string()).unwrap_or_default(),
                a.ends_on.map(|d| d.to_string()).unwrap_or_default(),
                opt(&a.url),
                time(Some(a.created_at)),
                time(a.submitted_at),
                time(a.approved_at),
                time(a.decided_at),
                opt(&a.rejection_reason_code),
                opt(&a.rejection_reason),
                o.id.clone(),
                o.email.clone(),
                o.kind.as_deref().map(kind_ja).unwrap_or_default().to_owned(),
                o.display_name.clone(),
                opt(&o.legal_name),
                opt(&o.name_kana),
                opt(&o.industry),
                opt(&o.prefecture),
                opt(&o.employee_band),
                opt(&o.website),
                opt(&o.corporate_number),
                opt(&o.contact_name),
                opt(&o.phone),
            ]
        }))
    }

    fn tail(&mut self, _count: u64) -> ApiResult<Bytes> {
        Ok(Bytes::new())
    }
}
