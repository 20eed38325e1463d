//! The words of the pages, each written once with both languages side by
//! side: Chinese (the default) and English. A missing translation does not
//! compile. Sentences are whole, with `{placeholders}` filled by [`fill`],
//! never glued from fragments; domain problems and enumerations get their
//! words here too (`problems.rs`, and a function per enumeration below).

mod problems;

pub use problems::{field_error, field_errors, label, over_budget, problem};

use crate::catalog::{CertificateKind, Storage};
use crate::distribution::NodeKind;
use crate::distribution::route::SkipReason;
use crate::distribution::shipments::{ScanEvent, ShipmentStatus};
use std::fmt::Display;

/// Fills the `{name}` placeholders of a sentence with the values given.
/// Sentences are written whole, in each language, with their
/// placeholders; the values (numbers, names, codes) are the only part
/// that is not translated.
pub fn fill(template: &str, values: &[(&str, &dyn Display)]) -> String {
    values.iter().fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), &value.to_string()))
}

/// Text made safe for HTML.
pub fn escape(v: impl Display) -> String {
    let mut out = String::new();
    for c in v.to_string().chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value in bold, with an element id when tests or scripts read it.
fn strong(id: Option<&str>, v: impl Display) -> String {
    match id {
        Some(id) => format!("<strong id=\"{id}\">{}</strong>", escape(v)),
        None => format!("<strong>{}</strong>", escape(v)),
    }
}

/// [`fill`] for HTML: the sentence is escaped, the values are HTML already
/// (made with [`escape`] or `strong`).
fn fill_html(template: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(escape(template), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
}

/// A household's poverty status (`households::Status`).
pub fn household_status(lang: Lang, status: &str) -> String {
    match status {
        "registered_poor" => lang.pick("建档立卡贫困户", "Registered poor"),
        "monitored" => lang.pick("监测户", "Monitored"),
        "edge" => lang.pick("边缘户", "At the edge"),
        "lifted" => lang.pick("已脱贫", "Lifted out of poverty"),
        "none" => lang.pick("一般农户", "None"),
        other => return other.to_owned(),
    }
    .to_owned()
}

/// A date (`YYYY-MM-DD`) as people read it: `2028年12月31日`,
/// `31 Dec 2028`. A stored moment reads as [`when`] does; other text
/// comes back as it is.
pub fn day(lang: Lang, ymd: &str) -> String {
    let Some(d) = crate::time::parse_date(ymd) else { return when(lang, ymd) };
    let (year, month, day) = (d.year(), u8::from(d.month()), d.day());
    match lang {
        Lang::Zh => format!("{year}年{month}月{day}日"),
        Lang::En => {
            let name = EN.months_short.split('|').nth(usize::from(month) - 1).unwrap_or("");
            format!("{day} {name} {year}")
        }
    }
}

/// A stored moment as people read it, on China's clock, to the minute:
/// `2026年11月30日 16:00`, `30 Nov 2026, 16:00`. The one way pages show
/// a time; text that is not a stored moment comes back as it is.
pub fn when(lang: Lang, stored: &str) -> String {
    let Some(t) = crate::time::in_china(stored) else { return stored.to_owned() };
    let (year, month, day, hour, minute) = (t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute());
    match lang {
        Lang::Zh => format!("{year}年{month}月{day}日 {hour:02}:{minute:02}"),
        Lang::En => {
            let name = EN.months_short.split('|').nth(usize::from(month) - 1).unwrap_or("");
            format!("{day} {name} {year}, {hour:02}:{minute:02}")
        }
    }
}

/// How long ago a stored moment was, for histories and alerts: `刚刚`,
/// `5 分钟前`, `3 天前` / `just now`, `5 minutes ago`, `3 days ago`; a
/// month or more back (or a moment not yet come) is the moment itself
/// ([`when`]). Pages put the moment itself in the element's title.
pub fn ago(lang: Lang, stored: &str, now: time::OffsetDateTime) -> String {
    let Ok(t) = time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339) else { return when(lang, stored) };
    let seconds = (now - t).whole_seconds();
    let (n, zh, one, many) = match seconds {
        s if s < 0 => return when(lang, stored),
        s if s < 60 => return lang.pick("刚刚", "just now").to_owned(),
        s if s < 3_600 => (s / 60, "分钟前", "minute", "minutes"),
        s if s < 86_400 => (s / 3_600, "小时前", "hour", "hours"),
        s if s < 30 * 86_400 => (s / 86_400, "天前", "day", "days"),
        _ => return when(lang, stored),
    };
    match lang {
        Lang::Zh => format!("{n} {zh}"),
        Lang::En => format!("{n} {} ago", if n == 1 { one } else { many }),
    }
}

/// The English of the selling units cooperatives use (singular, plural),
/// by the Chinese word or the English one. Units nobody has translated
/// come back as they are.
const UNITS: &[(&str, &str, &str)] = &[
    ("箱", "case", "cases"),
    ("袋", "bag", "bags"),
    ("盒", "box", "boxes"),
    ("瓶", "bottle", "bottles"),
    ("罐", "jar", "jars"),
    ("桶", "bucket", "buckets"),
    ("包", "pack", "packs"),
    ("提", "pack", "packs"),
    ("听", "can", "cans"),
    ("件", "piece", "pieces"),
    ("个", "piece", "pieces"),
    ("只", "piece", "pieces"),
    ("条", "piece", "pieces"),
    ("块", "piece", "pieces"),
    ("枚", "piece", "pieces"),
    ("头", "head", "head"),
    ("套", "set", "sets"),
    ("份", "portion", "portions"),
    ("对", "pair", "pairs"),
    ("板", "tray", "trays"),
    ("筐", "basket", "baskets"),
    ("篮", "basket", "baskets"),
    ("串", "bunch", "bunches"),
    ("把", "bunch", "bunches"),
    ("捆", "bundle", "bundles"),
    ("卷", "roll", "rolls"),
    ("斤", "jin (500 g)", "jin (500 g)"),
    ("公斤", "kg", "kg"),
    ("千克", "kg", "kg"),
    ("kg", "kg", "kg"),
    ("克", "g", "g"),
    ("g", "g", "g"),
    ("吨", "tonne", "tonnes"),
    ("升", "litre", "litres"),
    ("L", "litre", "litres"),
    ("毫升", "ml", "ml"),
    ("ml", "ml", "ml"),
];

/// A selling unit as the language writes it after "per": `箱` / `case`.
pub fn unit(lang: Lang, unit: &str) -> String {
    match lang {
        Lang::Zh => unit.to_owned(),
        Lang::En => {
            UNITS.iter().find(|(zh, en, _)| *zh == unit || *en == unit).map_or_else(|| unit.to_owned(), |(_, en, _)| (*en).to_owned())
        }
    }
}

/// The word of a unit after a number: `箱` / `case` for 1, `cases` for more.
pub fn unit_for(lang: Lang, n: impl Display, unit: &str) -> String {
    match lang {
        Lang::Zh => unit.to_owned(),
        Lang::En => {
            let one = n.to_string() == "1";
            UNITS
                .iter()
                .find(|(zh, en, many)| *zh == unit || *en == unit || *many == unit)
                .map_or(unit, |(_, en, many)| if one { en } else { many })
                .to_owned()
        }
    }
}

/// A quantity with its unit: `270 箱` / `270 cases`, `1 case`.
pub fn quantity(lang: Lang, n: impl Display, unit: &str) -> String {
    let n = n.to_string();
    format!("{n} {}", unit_for(lang, &n, unit))
}

/// A pairing programme of a partner city (对口援藏 …), in the page's
/// language; one the table does not know is shown as it is.
pub fn programme(lang: Lang, name: &str) -> String {
    let en = match name {
        "对口援藏" => "pairing assistance to Xizang",
        "对口援疆" => "pairing assistance to Xinjiang",
        "东西部协作" => "east–west cooperation",
        "对口支援" => "pairing assistance",
        "定点帮扶" => "designated assistance",
        _ => return name.to_owned(),
    };
    lang.pick(name, en).to_owned()
}

/// A place by its official name, as a line of the page names it: the
/// everyday Chinese name (巴仁村委会 → 巴仁村), or its English name
/// (Baren Village) — see `regions::english_name`.
pub fn place(lang: Lang, name: &str) -> String {
    match lang {
        Lang::Zh => crate::regions::short_name(name),
        Lang::En => crate::regions::english_name(name),
    }
}

/// The place a line is about: in English with its Chinese name beside it,
/// `Jiashi County (伽师县)`, so it can be found on a Chinese map or parcel.
pub fn place_full(lang: Lang, name: &str) -> String {
    match lang {
        Lang::Zh => crate::regions::short_name(name),
        Lang::En => crate::regions::english_with_chinese(name),
    }
}

/// An organisation's name as the page writes it: the registered Chinese
/// name, or in English the English name its managers gave, with the
/// Chinese beside it (`Baren Village Fruit Growers' Cooperative, Jiashi
/// County (伽师县巴仁村瓜果种植农民专业合作社)`).
pub fn org_name(lang: Lang, name: &str, name_en: Option<&str>) -> String {
    match name_en.filter(|_| lang.is_en()) {
        Some(en) => format!("{en} ({name})"),
        None => name.to_owned(),
    }
}

/// A village with its county, as a line about a sale names it:
/// `伽师县巴仁村`, or `Baren Village, Jiashi County (伽师县巴仁村)` with the
/// Chinese beside it so it can be found on a parcel.
pub fn village_in_county(lang: Lang, county: &str, village: &str) -> String {
    let (county, village) = (crate::regions::short_name(county), crate::regions::short_name(village));
    match lang {
        Lang::Zh => format!("{county}{village}"),
        Lang::En if county.is_empty() => crate::regions::english_with_chinese(&village),
        Lang::En => format!("{}, {} ({county}{village})", crate::regions::english_name(&village), crate::regions::english_name(&county)),
    }
}

/// A chain of places written `新疆 › 喀什地区 › 伽师县` (as
/// `Region::chain_label` writes it), in the page's language; in English
/// the last place keeps its Chinese name beside it.
pub fn chain(lang: Lang, label: &str) -> String {
    if !lang.is_en() {
        return label.to_owned();
    }
    let parts: Vec<&str> = label.split(" › ").collect();
    let last = parts.len().saturating_sub(1);
    parts.iter().enumerate().map(|(i, p)| if i == last { place_full(lang, p) } else { place(lang, p) }).collect::<Vec<_>>().join(" › ")
}

/// Why a lot's quantity changed: its receipt or an adjustment's reason
/// (`stock::ADJUSTMENT_REASONS`).
pub fn movement_reason(lang: Lang, reason: &str) -> String {
    match reason {
        "receipt" => lang.pick("入库", "Receipt"),
        "spoilage" => lang.pick("损耗变质", "Spoilage"),
        "recount" => lang.pick("盘点更正", "Recount"),
        "damage" => lang.pick("破损", "Damage"),
        "return" => lang.pick("退回", "Return"),
        "other" => lang.pick("其他", "Other"),
        other => return other.to_owned(),
    }
    .to_owned()
}

/// A storage class.
pub fn storage(lang: Lang, s: Storage) -> &'static str {
    match s {
        Storage::Ambient => lang.pick("常温", "Ambient"),
        Storage::Chilled => lang.pick("冷藏", "Chilled"),
        Storage::Frozen => lang.pick("冷冻", "Frozen"),
    }
}

/// A storage class by its API name (`ambient`, `chilled`, `frozen`).
pub fn storage_named(lang: Lang, name: &str) -> String {
    Storage::parse(name).map(|s| storage(lang, s).to_owned()).unwrap_or_else(|| name.to_owned())
}

/// A certificate's kind.
pub fn certificate_kind(lang: Lang, k: CertificateKind) -> &'static str {
    match k {
        CertificateKind::PovertyAlleviation => lang.pick("扶贫产品", "Poverty-alleviation product"),
        CertificateKind::GeographicIndication => lang.pick("地理标志", "Geographic indication"),
        CertificateKind::GreenFood => lang.pick("绿色食品", "Green food"),
        CertificateKind::Organic => lang.pick("有机产品", "Organic"),
    }
}

/// A certificate kind by its API name (`poverty_alleviation` …).
pub fn certificate_kind_named(lang: Lang, name: &str) -> String {
    CertificateKind::parse(name).map(|k| certificate_kind(lang, k).to_owned()).unwrap_or_else(|| name.to_owned())
}

/// Why an order could not move, in the page's words: its status now, or
/// that the caller may not (the domain's English reason is for the API).
pub fn transition_error(lang: Lang, e: &crate::orders::TransitionError) -> String {
    use crate::orders::TransitionError as E;
    let t = lang.t();
    match e {
        E::NotFound => t.not_found_detail.to_owned(),
        E::Illegal(status) => fill(t.order_not_now, &[("status", &t.status(status))]),
        E::Forbidden(_) => t.not_allowed.to_owned(),
        E::Refused(crate::orders::Refusal::ReleasedOnCredit) => t.released_on_credit.to_owned(),
        E::Refused(crate::orders::Refusal::NotPaid) => t.nothing_paid_to_refund.to_owned(),
        E::Refused(crate::orders::Refusal::AlreadyPaid(status)) => fill(t.already_paid, &[("status", &t.status(status.as_str()))]),
        E::Db(_) => t.server_error_detail.to_owned(),
    }
}

/// A refusal of a payment provider, in the page's words around the
/// provider's own (which Stripe writes in English).
pub fn stripe_failure(lang: Lang, e: &crate::payments::StripeFailure) -> String {
    use crate::payments::StripeFailure as S;
    let t = lang.t();
    match e {
        S::Declined(detail) => fill(t.stripe_declined, &[("detail", detail)]),
        S::Unreachable(_) => t.stripe_unreachable.to_owned(),
    }
}

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文 (default)
    Zh,
    /// English
    En,
}

impl Lang {
    /// From the `zn_lang` cookie value; anything else is Chinese.
    pub fn from_cookie(v: Option<&str>) -> Lang {
        if v == Some("en") { Lang::En } else { Lang::Zh }
    }

    /// The page's words.
    pub fn t(self) -> &'static Words {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The one of two texts written for this language.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// True for English.
    pub fn is_en(self) -> bool {
        self == Lang::En
    }
}

macro_rules! words {
    ($($name:ident: $zh:literal, $en:literal;)*) => {
        /// Every word a page shows.
        #[derive(Debug)]
        pub struct Words {
            $(#[doc = $en] pub $name: &'static str,)*
        }
        /// 中文
        pub const ZH: Words = Words { $($name: $zh,)* };
        /// English
        pub const EN: Words = Words { $($name: $en,)* };
        /// Every word: its name, its Chinese and its English (for checks
        /// of the table as a whole).
        #[cfg(test)]
        pub const TABLE: &[(&str, &str, &str)] = &[$((stringify!($name), $zh, $en),)*];
    };
}

words! {
    html_lang: "zh-CN", "en";
    brand: "助农", "Zhunong";
    tagline: "消费帮扶 · 每一元都有去处", "Consumption support · every yuan accounted for";
    switch_label: "English", "中文";
    switch_to: "en", "zh";
    nav_home: "首页", "Home";
    sign_in: "登录", "Sign in";
    sign_out: "退出", "Sign out";
    sign_in_to_buy: "登录后采购", "Sign in to buy";
    home_heading: "脱贫地区特色农产品", "Produce from poverty-alleviation regions";
    home_intro: "帮扶地区的合作社直供，每一笔销售都追溯到供货农户。", "Straight from the cooperatives of the regions we help; every sale is traced to the households that grew it.";
    sold_by: "合作社", "Cooperative";
    origin: "产地", "Origin";
    from_price: "起", "from";
    in_stock: "有货", "In stock";
    low_stock: "库存紧张", "Low stock";
    out_of_stock: "暂时缺货", "Out of stock";
    available: "可售", "available";
    no_products: "目前还没有上架的产品。", "No products are listed yet.";
    previous: "上一页", "Previous";
    page_of: "第 {page} / {pages} 页，共 {total} 件", "Page {page} of {pages}, {total} items";
    page_of_households: "第 {page} / {pages} 页，共 {total} 户", "Page {page} of {pages}, {total} households";
    price_tiers: "批量价格", "Bulk prices";
    tier_from: "{min}{unit}起订", "from {min} {unit}";
    tier_min_placeholder: "起订量", "from";
    certificates: "认证", "Certificates";
    valid_until: "有效期至", "valid until";
    expired: "已过期", "expired";
    storage: "储存方式", "Storage";
    spec: "规格", "Specification";
    unit_weight: "每件重量（克，含包装）", "Weight per unit (grams, packed)";
    of_which_poor: "其中建档立卡户", "registered poor households among them";
    region_code: "区划代码", "Region code";
    login_heading: "登录助农", "Sign in to Zhunong";
    email: "电子邮箱", "E-mail";
    password: "密码", "Password";
    wrong_credentials: "邮箱或密码不正确。", "Wrong e-mail address or password.";
    too_many_attempts: "登录失败次数过多，请稍后再试。", "Too many failed sign-ins; please try again later.";
    login_busy: "登录的人较多，请几秒后再试。", "Many people are signing in; try again in a few seconds.";
    credentials_too_long: "邮箱或密码过长，请检查后重新输入。", "That e-mail address or password is too long; please check it and try again.";
    demo_accounts: "演示账号（仅供演示）", "Demo accounts (demo only)";
    demo_password: "密码均为", "password for all:";
    signed_in_as: "当前用户", "Signed in as";
    not_found: "找不到该页面", "Page not found";
    not_found_detail: "您要找的内容不存在或已下架。", "What you are looking for does not exist or is no longer listed.";
    server_error: "服务器出错了", "Something went wrong";
    server_error_detail: "我们已记录此问题。反馈时请提供请求编号。", "We have logged the problem. Please quote the request id if you report it.";
    forbidden: "您没有权限访问此页面", "You don't have access to this page";
    forbidden_detail: "您的账号没有打开此页面的权限；如需要，请联系本单位的管理员。", "Your account may not open this page; ask your organisation's administrator if you need to.";
    forbidden_form: "表单已过期，请刷新页面后重试。", "This form has expired; reload the page and try again.";
    bad_request: "无法处理该请求", "This request could not be handled";
    bad_request_detail: "提交的内容不完整或格式不对，请返回上一页检查后重试。", "What was sent is incomplete or not in the expected form. Go back, check it and try again.";
    control_chars: "提交的内容中含有无法保存的控制字符或文字方向符号（多见于从其他软件复制的文字），请返回上一页删除后重试。", "What was sent holds control characters or text-direction marks (often from text pasted from another program) that cannot be stored. Go back, remove them and try again.";
    too_large: "提交的内容太大", "What you sent is too large";
    too_large_detail: "每次提交（包括上传的文件）不能超过 2 MB，请拆分后再试。", "A submission, uploaded files included, may be at most 2 MB. Split it and try again.";
    busy: "服务器正忙", "The server is busy";
    busy_detail: "请稍等片刻再试。如果刚才提交了订单，请先在“我的订单”中查看，避免重复下单。", "Please try again in a moment. If you had just placed an order, look in your orders first so you do not order twice.";
    request_id: "请求编号", "Request id";
    back_home: "返回首页", "Back to the home page";
    footer: "助农 · 消费帮扶平台 — 区划数据：国家统计局 2023 年统计用区划代码", "Zhunong · consumption-support marketplace — region data: NBS 2023 statistical division codes";
    search_placeholder: "搜索产品、产地或合作社，如 红枣、喀什", "Search produce, origin or cooperative, e.g. walnut, Kashgar";
    search_button: "搜索", "Search";
    results_count: "共 {total} 件产品", "{total} products";
    no_results: "没有找到符合条件的产品。试试更短的关键词或清除筛选。", "No products match. Try a shorter word or clear the filters.";
    clear_filters: "清除筛选", "Clear filters";
    facet_category: "品类", "Category";
    facet_prefecture: "地区", "Prefecture";
    facet_county: "县", "County";
    facet_certified: "认证", "Certificate";
    sort_label: "排序", "Sort";
    sort_relevance: "综合", "Relevance";
    sort_price_asc: "单价从低到高", "Unit price: low to high";
    sort_price_desc: "单价从高到低", "Unit price: high to low";
    sort_sales: "销量", "Best-selling";
    sort_newest: "最新", "Newest";
    apply: "应用", "Apply";
    only_paired: "只看对口帮扶地区", "Only my paired regions";
    paired_heading: "对口帮扶地区产品", "From your paired regions";
    in_stock_only: "只看有货", "In stock only";
    invalid_filter: "筛选条件有误", "Invalid filter";
    browse_places: "下辖地区", "Places";
    cooperatives: "合作社", "Cooperatives";
    products_here: "产品", "Products";
    see_all: "查看全部", "See all";
    members_line: "成员农户 {members} 户（其中建档立卡户 {poor}）· 农户分成比例 {percent}%", "Member households {members} ({poor} registered poor households among them) · share passed to households {percent}%";
    payout_ratio: "农户分成比例", "Share passed to households";
    browse_by_region: "按产地浏览", "Browse by origin";
    console_title: "库存管理", "Stock console";
    console_record_lot: "登记采收批次", "Record a harvest lot";
    console_members: "成员农户", "Member households";
    console_near_expiry: "⚠ {n} 个临期批次", "⚠ {n} lots near expiry";
    console_low: "⚠ {n} 个产品库存不足", "⚠ {n} products low on stock";
    console_lot: "批次", "Lot";
    console_product: "产品", "Product";
    console_quantity: "数量", "Quantity";
    console_allocated: "已占用", "Held by orders";
    console_harvested: "采收日期", "Harvested";
    console_expires: "保质期至", "Expires";
    console_node: "存放站点", "Node";
    console_contribution: "供货农户", "Contributing household";
    console_contributions_hint: "各农户供货数量之和必须等于批次数量。", "The households' quantities must add up to the lot quantity.";
    console_pick_household: "第 {n} 户供货农户：请选择农户并填写数量", "Contributing household {n}: choose a household and give a quantity";
    console_whole_number: "{label}：请填写整数", "{label}: give a whole number";
    console_save: "保存", "Save";
    console_fix: "请修改以下问题：", "Please fix:";
    console_adjust: "调整库存", "Adjust stock";
    console_delta: "增减数量（负数为减少）", "Change (negative to remove)";
    console_reason: "原因", "Reason";
    console_note: "备注", "Note";
    console_history: "变动记录", "History";
    console_who: "操作人", "Who";
    console_when: "时间", "When";
    console_before: "变动前", "Before";
    console_after: "变动后", "After";
    console_status: "类别", "Status";
    console_size: "人口", "Size";
    console_supplied: "累计供货", "Supplied";
    console_expired: "已过期", "expired";
    console_soon: "临期", "expires soon";
    console_no_lots: "暂无批次", "No lots yet";
    import_title: "导入批次（CSV / XLSX）", "Import lots (CSV / XLSX)";
    import_help: "每行一个供货农户；lot 相同的行组成一个批次。文件中任何一行有误，则整个文件都不导入，并列出每一行的问题。", "One row per contributing household; rows with the same lot form one lot. If any row is wrong, nothing is imported and every bad row is listed.";
    import_file: "文件", "File";
    import_button: "导入", "Import";
    import_done: "已导入 {lots} 个批次、{contributions} 条供货记录，共 {units} 件。", "Imported {lots} lots and {contributions} contributions, {units} units in all.";
    import_unreadable: "无法读取这个文件，请确认它是 UTF-8 编码的 CSV 文件或 XLSX 文件（{detail}）。", "The file cannot be read ({detail}). Upload a UTF-8 CSV file or an XLSX file.";
    import_nothing: "未导入任何数据。请修改以下行后重新上传：", "Nothing was imported. Fix these rows and upload again:";
    import_row: "行", "Row";
    import_problem: "问题", "Problem";
    import_choose_file: "请选择要导入的文件。", "Choose a file to import.";
    import_busy: "当前正在进行的导入较多，请稍等几秒后再上传。", "Several imports are running right now. Wait a few seconds and upload again.";
    import_over_upload: "文件超过 {max} MB，无法导入。请拆分成几个文件分别导入。", "The file is larger than {max} MB and cannot be imported. Split it into smaller files.";
    import_over_entries: "这个 XLSX 文件包含的部件超过 {max} 个，无法导入。请另存为只含一个工作表的新文件后再试。", "This XLSX file has more than {max} parts and cannot be imported. Save the sheet as a new workbook and try again.";
    import_over_unpacked: "这个 XLSX 文件解压后超过 {max} MB，无法导入。请另存为只含一个工作表的新文件，或导出为 CSV。", "This XLSX file unpacks to more than {max} MB and cannot be imported. Save the sheet as a new workbook, or export it as CSV.";
    import_over_dimension: "工作表声明的范围有 {rows} 行 × {columns} 列，超过导入上限 {max_rows} 行 × {max_columns} 列。请删除多余的行列（或只复制数据到新表）后再试。", "The sheet declares {rows} rows × {columns} columns, over the import limit of {max_rows} rows × {max_columns} columns. Delete the extra rows and columns (or copy the data to a new sheet) and try again.";
    import_over_rows: "文件超过 {max} 行，无法导入。请拆分成几个文件分别导入。", "The file has more than {max} rows and cannot be imported. Split it into smaller files.";
    import_over_row_cells: "第 {row} 行超过 {max} 列，无法导入。", "Row {row} has more than {max} columns and cannot be imported.";
    import_over_cells: "文件内容超过 {max} 个单元格或 {mb} MB 文字，无法导入。请拆分成几个文件分别导入。", "The file holds more than {max} cells or {mb} MB of text and cannot be imported. Split it into smaller files.";
    import_over_cell_text: "第 {row} 行有单元格超过 {max} 个字节，无法导入。", "A cell in row {row} holds more than {max} bytes and cannot be imported.";
    import_over_time: "文件在 {max} 秒内未能读完，请拆分成几个文件分别导入。", "The file could not be read within {max} seconds. Split it into smaller files.";
    import_more_rows: "另有 {n} 行有问题（只列出前 {max} 个问题）。", "And {n} more rows have problems (only the first {max} problems are listed).";
    product_form_title: "产品信息", "Product";
    pf_name: "产品名称", "Name";
    pf_name_en: "英文名称", "English name";
    pf_unit: "销售单位", "Selling unit";
    pf_description: "简介", "Description";
    pf_tiers_hint: "第一档从 1 起；数量越多单价越低。价格以元为单位，如 12.50。", "The first tier starts at 1; larger quantities get lower unit prices. Prices in yuan, e.g. 12.50.";
    pf_active: "在售", "On sale";
    pf_new: "新增产品", "New product";
    pf_edit: "编辑", "Edit";
    pf_tier_unreadable: "第 {n} 档：请填写整数数量和以元为单位的价格，如 12.50", "Tier {n}: give a whole quantity and a price in yuan such as 12.50";
    nav_cart: "购物车", "Cart";
    nav_orders: "我的订单", "My orders";
    nav_approvals: "待审批", "Approvals";
    nav_finance: "待确认收款", "Invoices to confirm";
    nav_fulfil: "待发货", "Orders to fulfil";
    nav_hub: "分拣与发运", "Shipments";
    hub_title: "我的物流站点", "My nodes";
    hub_empty: "您的单位没有运营任何物流站点。", "Your organisation runs no node of the chain.";
    kind_village_point: "村集货点", "Village collection point";
    kind_township_sorting: "乡镇分拣中心", "Township sorting centre";
    kind_county_distribution: "县配送中心", "County distribution centre";
    kind_prefecture_hub: "地区集散中心", "Prefecture hub";
    level_village: "村", "Village";
    level_township: "乡", "Township";
    level_county: "县", "County";
    level_prefecture: "地区", "Prefecture";
    level_buyer: "收货方", "Buyer";
    ship_open: "集货中", "Collecting";
    ship_closed: "已截单，待发运", "Closed, to dispatch";
    ship_dispatched: "已发出", "Dispatched";
    ship_received: "已到站", "Received";
    ship_delivered: "已签收", "Delivered";
    scan_dispatched: "发运", "Dispatched";
    scan_received: "到货", "Received";
    scan_delivered: "签收", "Delivered";
    node_cutoff: "每日截单时间 {cutoff}（北京时间）：截单前到站的货物当天发出。", "Daily cut-off {cutoff} (China time): goods here before it leave that day.";
    node_scan_link: "扫描运单", "Scan shipments";
    node_use: "在站 {on_hand} kg · 计划到站 {inbound} kg · 容量 {capacity} kg", "On hand {on_hand} kg · planned inbound {inbound} kg · capacity {capacity} kg";
    node_cold_use: "其中冷链货物 {cold} kg（本站有冷库）。", "Of which {cold} kg chilled or frozen (this node has cold storage).";
    node_no_cold: "本站没有冷库：冷链货物在到站当天发出。", "No cold storage here: chilled and frozen goods leave the day they arrive.";
    node_over_capacity: "注意：在站货物加上计划到站的货物共 {total} kg，将超过本站容量 {capacity} kg。", "Warning: goods on hand and planned inbound come to {total} kg, over this node's capacity of {capacity} kg.";
    node_inbound: "即将到站", "Inbound expected";
    node_inbound_empty: "目前没有发往本站的运单。", "No shipments are on their way here.";
    node_outbound: "待发运（按下一站分组）", "Outbound, by next hop";
    node_outbound_empty: "本站目前没有待发运的货物。", "No goods wait to leave this node.";
    node_capacity: "库容", "Capacity";
    ship_code: "运单号", "Shipment";
    ship_from: "发出站点", "From";
    ship_to: "下一站", "To";
    ship_weight: "重量", "Weight";
    ship_lines: "行数", "Lines";
    ship_cutoff: "截单时间", "Cut-off";
    ship_planned: "计划发出日", "Planned to leave";
    ship_cold: "冷链", "Cold chain";
    ship_ambient: "常温", "Ambient";
    ship_label: "标签", "Label";
    ship_packing: "装箱单", "Packing list";
    ship_to_buyer: "收货方 · 订单 {number} · {place}", "Buyer · order {number} · {place}";
    ship_unweighed: "其中 {n} 行的产品没有登记重量，按 0 kg 计。", "{n} lines are of products without a weight, counted as 0 kg.";
    scan_title: "扫描运单", "Scan shipments";
    scan_code: "运单号（扫描枪扫码后自动回车）", "Shipment code (the scanner types it and presses Enter)";
    scan_event: "登记事件", "Event";
    scan_submit: "登记", "Record";
    scan_ok: "已登记{event}：{code}", "{event} recorded: {code}";
    scan_ok_detail: "{from} → {to} · {lines} 行 · {kg} kg", "{from} → {to} · {lines} lines · {kg} kg";
    scan_replayed: "这次扫描已经登记过：{code}", "This scan was recorded already: {code}";
    scan_refused_title: "未能登记：{code}", "Not recorded: {code}";
    scan_not_a_code: "这不是运单号：运单号是以 SH 开头的 9 位字母和数字。", "This is not a shipment code: codes are 9 letters and digits starting with SH.";
    scan_not_found: "没有这个运单号的运单。", "There is no shipment with this code.";
    scan_not_your_node: "您不是本站点的操作员，不能在此登记。", "Only this node's operators record scans here.";
    scan_wrong_node: "这个运单不在本站登记“{event}”：它属于其他站点。", "This shipment is not “{event}” at this node: it belongs to another node.";
    scan_wrong_node_any: "这个运单不能在本站这样登记：它属于其他站点，或应登记另一种事件。", "This shipment cannot be recorded so at this node: it belongs to another node, or needs another event.";
    scan_wrong_event_node: "这个运单发往下一站点：到站时登记“到货”，而不是“签收”。", "This shipment goes to the next node: record “Received” there, not “Delivered”.";
    scan_wrong_event_buyer: "这个运单直接送交收货方：送达时登记“签收”，而不是“到货”。", "This shipment goes straight to the buyer: record “Delivered”, not “Received”.";
    scan_out_of_order: "运单当前状态为“{state}”，不能登记“{event}”。", "The shipment is “{state}”; “{event}” does not follow.";
    scan_out_of_order_any: "运单的当前状态不允许这次登记（可能已登记过）。", "The shipment's state does not allow this scan (it may have been recorded already).";
    scan_too_old: "扫描时间有误：离线保存的扫描已超过期限，或本机时间不对。", "The scan's time is wrong: it was kept offline too long, or this device's clock is off.";
    scan_signed_out: "登录已过期：请重新登录，页面会再次发送。", "Your sign-in has expired: sign in again and the page sends it again.";
    scan_failed: "服务器暂时没能登记，稍后自动重试。", "The server could not record it just now; it is retried shortly.";
    scan_queued: "网络不通：已保存在本机，联网后自动发送。", "No connection: kept on this device and sent when the link returns.";
    scan_waiting: "等待发送", "Waiting to send";
    scan_refused: "被拒绝的扫描", "Refused scans";
    scan_offline: "当前离线：扫描先保存在本机。", "Offline: scans are kept on this device.";
    scan_dismiss: "清除", "Dismiss";
    scan_scanned_at: "扫描时间", "Scanned";
    track_title: "物流跟踪", "Tracking";
    track_before_release: "付款后，货物从产地开始发运。", "The goods start moving once the order is paid.";
    track_before_approval: "订单批准后，货物从产地开始发运（账期订单验收后付款）。", "The goods start moving once the order is approved (on credit terms, payment follows acceptance).";
    track_not_routed: "货物尚未安排线路。", "The goods have no route yet.";
    track_route: "第 {n} 批 · {quantity}", "Consignment {n} · {quantity}";
    track_skipped_no_node: "跳过：当地没有站点", "Skipped: no node there";
    track_skipped_no_cold: "跳过：当地站点没有冷库", "Skipped: no cold storage there";
    track_here: "货物在此", "Goods here";
    track_at: "在 {node}", "At {node}";
    track_on_the_way: "在途：{from} → {to}", "On the way: {from} → {to}";
    track_delivered: "已送达收货方", "Delivered to the buyer";
    track_leaves_on_pickup: "起点没有冷库：冷链货物在集货当天发出。", "No cold storage where the goods start: chilled and frozen goods leave the day they are picked up.";
    track_line_haul: "干线运输", "Line haul";
    track_now: "当前位置", "Where now";
    track_now_is: "当前位置：{now}", "Where now: {now}";
    label_title: "运单标签", "Shipment label";
    packing_title: "装箱单", "Packing list";
    packing_order: "订单号", "Order";
    add_to_cart: "加入购物车", "Add to cart";
    added: "已加入购物车", "Added to the cart";
    bad_quantity: "数量请填写 1 至 1,000,000 之间的整数。", "Give the quantity as a whole number from 1 to 1,000,000.";
    cart_full: "购物车最多放 100 种商品，请先下单或移除一些再添加。", "A cart holds at most 100 products; place an order or remove some first.";
    quantity: "数量", "Quantity";
    cart_empty: "购物车是空的。去搜索农产品，把需要的加进来。", "The cart is empty. Search the produce and add what you need.";
    unit_price: "单价", "Unit price";
    amount: "金额", "Amount";
    total: "合计", "Total";
    update: "更新", "Update";
    remove: "移除", "Remove";
    next_tier: "购满 {quantity}{unit} 可享单价 {price}", "Reach {quantity} {unit} for a unit price of {price}";
    only_available: "当前可售", "Available now";
    checkout: "去结算", "Check out";
    checkout_title: "结算", "Checkout";
    delivery: "收货信息", "Delivery";
    delivery_region: "收货地区", "Delivery region";
    choose: "选择", "Choose";
    choose_level: "请选择下一级", "Choose the next level";
    region_chosen: "已选地区", "Region chosen";
    region_needed: "请先选择收货地区（至少到区县）。", "Choose the delivery region first (at least down to the county).";
    address: "详细地址", "Street address";
    contact_name: "收货人", "Recipient";
    phone: "电话", "Phone";
    note: "备注", "Note";
    payment_method: "支付方式", "Payment method";
    pay_invoice: "对公转账（开具付款通知书）", "Bank transfer (against an invoice)";
    pay_stripe: "银行卡 / 支付宝 / 微信支付", "Card / Alipay / WeChat Pay";
    stripe_unavailable: "暂不支持在线支付，请选择对公转账。", "Online payment is not available at the moment; please pay by bank transfer.";
    place_order: "提交订单", "Place the order";
    orders_title: "订单", "Orders";
    orders_empty: "还没有订单。", "No orders yet.";
    all_statuses: "全部", "All";
    number: "订单号", "Order number";
    placed_at: "下单时间", "Placed";
    status: "状态", "Status";
    buyer: "采购单位", "Buyer";
    product: "商品", "Product";
    cooperative: "合作社", "Cooperative";
    lots: "批次", "Lots";
    refunded: "已退款", "Refunded";
    history: "订单记录", "History";
    reminder_accept: "有已送达的订单等待您验收并评价——验收评价后才计入本单位的预留份额。", "Delivered orders are waiting for your acceptance and rating — only then do they count towards your agency's reserved share.";
    go_accept: "去验收", "Accept now";
    cancel_order: "取消订单", "Cancel the order";
    approve: "批准", "Approve";
    reject: "驳回", "Reject";
    invoice_link: "付款通知书（可打印）", "Invoice (printable)";
    pay_now: "在线支付", "Pay now";
    pay_loading: "正在加载 Stripe 支付组件……需要联网访问 js.stripe.com。", "Loading Stripe's payment form… needs a connection to js.stripe.com.";
    payment_failed: "上次支付未成功：", "The last payment attempt failed:";
    accept_title: "验收并评价", "Accept and rate";
    stars: "评分（1–5 星）", "Rating (1–5 stars)";
    comment: "评语（可选）", "Comment (optional)";
    accept_button: "确认验收", "Accept the goods";
    reach_heading: "帮扶成效", "Where the money went";
    reach_unpaid: "付款后，每一分钱都会记入供货农户的收益台账。", "Once paid, every fen is credited to the households who grew the goods.";
    invoice_title: "付款通知书", "Invoice";
    payee: "收款单位", "Payee";
    bank: "开户行", "Bank";
    account: "账号", "Account";
    invoice_hint: "请在转账附言中注明订单号。到账后平台财务确认，订单即为已付款。", "Put the order number in the transfer's reference. Platform finance confirms receipt and the order becomes paid.";
    print: "打印", "Print";
    approvals_title: "待审批订单", "Orders awaiting approval";
    approvals_empty: "没有待审批的订单。", "No orders await approval.";
    finance_title: "待确认收款的对公转账订单", "Bank-transfer orders awaiting confirmation";
    finance_empty: "没有待确认的转账。", "No transfers await confirmation.";
    reference: "银行流水号", "Bank reference";
    confirm_paid: "确认收款", "Confirm payment";
    nav_refunds: "退款", "Refunds";
    refunds_title: "退款", "Refunds";
    refunds_hint: "输入订单号查找订单；银行卡支付的订单经 Stripe 原路退回，对公转账订单开具红字凭证（credit note）。发运前退款的商品回到原批次库存。", "Find an order by its number. Card orders are refunded through Stripe; bank-transfer orders get a credit note. Units refunded before dispatch go back to their lots.";
    find: "查找", "Find";
    no_such_order: "没有这个订单号的订单。", "No order has this number.";
    refund_quantity: "退款数量", "Units to refund";
    refund_reason: "退款原因", "Reason";
    refund_button: "退款", "Refund";
    refund_done: "已退款", "Refunded";
    fulfil_title: "待发货订单行", "Order lines to fulfil";
    fulfil_empty: "没有待发货的订单。", "Nothing to fulfil.";
    reserved_share: "预留份额完成进度", "Reserved share progress";
    reserved_target: "年度预留份额", "Reserved share this year";
    reserved_counted: "已计入（已付款、已验收并评价）", "Counted (paid, accepted and rated)";
    no_target: "本年度尚未设定预留份额。", "No reserved share is set for this year.";
    done: "操作成功。", "Done.";
    prev: "上一页", "Previous";
    next: "下一页", "Next";
    hold_until: "未付款保留至", "Held unpaid until";
    hold_hint: "到期仍未付款（待审批的订单：仍未获批准）的订单将自动取消，库存释放给其他采购单位。时间为北京时间。", "If the order is not paid by then (or, while it waits for approval, not approved), it is cancelled and its stock goes back on sale. Times are China time (UTC+8).";
    order_not_now: "订单当前状态为“{status}”，不能进行此操作。", "Not possible while the order is “{status}”.";
    released_on_credit: "此订单已按账期放行发货，不能再取消。", "This order was released for delivery on credit terms and can no longer be cancelled.";
    already_paid: "此订单的付款已经确认过了（订单当前状态为“{status}”）。", "The payment of this order is already confirmed (the order is “{status}”).";
    nothing_paid_to_refund: "此订单尚未付款，没有可退的款项。", "Nothing has been paid for this order yet, so there is nothing to refund.";
    credit_terms: "账期", "Credit terms";
    credit_terms_pending: "账期 {days} 天，验收后起算", "{days} days, counted from acceptance";
    credit_terms_due: "账期 {days} 天，应付日期 {due}", "{days} days, due on {due}";
    credit_terms_paid: "账期 {days} 天，已付款", "{days} days, paid";
    credit_terms_hint: "先收货后付款：订单（需审批的，批准后）即放行发运，验收后请在账期内转账。", "Goods first, payment after: the order ships at once (or once approved, if it needs approval); pay by bank transfer within the terms after acceptance.";
    overdue: "逾期未付", "Overdue";
    due_on: "应付日期", "Due on";
    finance_overdue_title: "逾期未付的账期订单", "Overdue orders on credit terms";
    finance_overdue_count: "共 {total} 笔逾期未付", "{total} overdue in all";
    not_allowed: "您没有权限进行此操作。", "You may not do this.";
    stripe_declined: "支付服务商拒绝了请求：{detail}", "The payment provider declined: {detail}";
    stripe_unreachable: "暂时无法连接支付服务商，请稍后再试；本次操作未生效。", "The payment provider cannot be reached; nothing was changed. Try again later.";
    not_placed: "订单未能提交，请检查后重试。", "The order was not placed; check it and try again.";
    hold_lapsed: "保留期已过，订单自动取消", "The hold lapsed: the order was cancelled";
    hold_limit: "{product}：同一采购单位的未付款订单（含待审批）合计最多可占用在售量的 {percent}%，即 {cap}{unit}；您的未付款订单已占用 {held}{unit}。请减少数量，或先付款、取消已有的未付款订单。", "{product}: one buyer's unpaid orders (awaiting approval or payment) may hold at most {percent}% of what is on offer, {cap} {unit}; yours already hold {held} {unit}. Order less, or pay or cancel your unpaid orders first.";
    line_waiting: "待发运", "Waiting for dispatch";
    status_placed: "已下单", "Placed";
    status_pending_approval: "待审批", "Awaiting approval";
    status_awaiting_payment: "待付款", "Awaiting payment";
    status_paid: "已付款", "Paid";
    status_in_transit: "运输中", "In transit";
    status_delivered: "已送达", "Delivered";
    status_accepted: "已验收", "Accepted";
    status_cancelled: "已取消", "Cancelled";
    status_refunded: "已退款", "Refunded";
    // ---- reports (issue 13) ----
    nav_reports: "报表", "Reports";
    reports_title: "帮扶成效报表", "Support reports";
    reports_period: "统计期间", "Period";
    reports_from: "开始日期", "From";
    reports_to: "结束日期", "To";
    reports_apply: "查看", "Show";
    reports_this_year: "今年", "This year";
    reports_last_year: "去年", "Last year";
    reports_this_month: "本月", "This month";
    reports_period_line: "统计期间：{from} 至 {to}", "Period: {from} to {to}";
    reports_gross: "销售额", "Sales";
    reports_poor_sales: "惠及建档立卡贫困户", "Reached registered poor households";
    reports_poor_share: "贫困户占比", "Share to registered poor";
    reports_poor_households: "建档立卡贫困户（户）", "Registered poor households";
    reports_households_with_sales: "有销售的农户（户）", "Households with sales";
    reports_cooperatives: "合作社（家）", "Cooperatives";
    reports_buyers: "采购单位（家）", "Buyers";
    reports_region: "地区", "Region";
    reports_by_province: "按省", "By province";
    reports_by_prefecture: "按地区", "By prefecture";
    reports_by_county: "按县", "By county";
    reports_by_township: "按乡镇", "By township";
    reports_by_village: "按村", "By village";
    reports_whole: "合计", "Total";
    reports_none: "本期没有销售。", "No sales in this period.";
    reports_households_title: "农户销售明细", "Sales per household";
    reports_households_link: "查看本地区农户明细", "Households of this region";
    reports_household: "农户", "Household";
    reports_village: "所在村", "Village";
    reports_status: "类别", "Status";
    reports_size: "人口", "People";
    reports_income: "农户收入", "Household income";
    reports_per_capita: "人均收入", "Income per person";
    reports_colour: "监测颜色", "Monitoring";
    reports_all_statuses: "全部类别", "All statuses";
    reports_sort: "排序", "Sort";
    reports_sort_gross_desc: "销售额从高到低", "Most sales first";
    reports_sort_gross_asc: "销售额从低到高", "Least sales first";
    reports_sort_per_capita_desc: "人均收入从高到低", "Highest income per person first";
    reports_sort_per_capita_asc: "人均收入从低到高", "Lowest income per person first";
    reports_sort_code: "按农户编号", "By household code";
    reports_sort_village: "按村", "By village";
    reports_households_count: "共 {households} 户 {people} 人，其中 {with_sales} 户有销售", "{households} households, {people} people; {with_sales} with sales";
    reports_no_households: "没有符合条件的农户。", "No household matches.";
    reports_by_month: "按月", "By month";
    reports_month: "月份", "Month";
    reports_by_cooperative: "按合作社", "By cooperative";
    reports_cooperatives_title: "合作社销售与带农情况", "Cooperatives: sales and households";
    reports_cooperative: "合作社", "Cooperative";
    reports_place: "所在地", "Place";
    reports_households_supplied: "供货农户（户）", "Households supplied";
    reports_payout: "带农比例", "Payout ratio";
    reports_rating: "评分", "Rating";
    reports_rating_line: "{stars} 分（{n} 次评价）", "{stars} stars ({n} ratings)";
    reports_no_rating: "暂无评价", "No ratings yet";
    reports_refunded: "退款", "Refunds";
    reports_cooperatives_link: "查看本地区合作社", "Cooperatives of this region";
    reports_no_cooperatives: "没有合作社。", "No cooperatives.";
    reports_my_cooperative: "本社帮扶成效", "Our cooperative's results";
    reports_members_link: "查看全部社员农户", "All member households";
    reports_top_members: "收入最多的社员农户", "Member households with the most income";
    reports_breadcrumb: "地区层级", "Region levels";
    reports_national: "全国", "Nationwide";
    reports_identity: "户主 / 证号", "Head / register no.";
    reports_back_to_region: "返回地区报表", "Back to the region";
    reports_drill: "查看下级", "Open";
    reports_download_line: "下载：", "Download: ";
    reports_other_sales: "其他农户", "Other households";
    reports_chart_months: "逐月销售额", "Sales by month";
    reports_chart_months_desc: "{place}{period}逐月销售额，分为惠及建档立卡贫困户的部分和其他农户的部分。", "Sales of {place} by month, {period}: the part that reached registered poor households and the rest.";
    reports_chart_top: "销售额最高的地区", "Regions with the most sales";
    reports_chart_top_desc: "{place}下辖地区按销售额排列（前 10 个）。", "The places of {place} by sales (top 10).";
    reports_chart_share: "惠及建档立卡贫困户的占比", "Share reaching registered poor households";
    reports_chart_share_desc: "{place}销售额中惠及建档立卡贫困户的部分与其他部分。", "Of the sales of {place}: the part that reached registered poor households and the rest.";
    reports_chart_colours: "各颜色户数", "Households by colour";
    reports_chart_coop_months_desc: "{name}{period}逐月销售额。", "Sales of {name} by month, {period}.";
    reports_chart_colours_desc: "{place}{year} 年各监测颜色的户数。", "Households of {place} by monitoring colour, {year}.";
    reports_download_xlsx: "Excel 表格", "Excel workbook";
    reports_download_csv: "CSV 文件", "CSV file";
    mon_nav: "监测帮扶", "Monitoring";
    mon_title: "防返贫监测", "Monitoring of households at risk";
    mon_year: "年度", "Year";
    mon_region: "地区", "Region";
    mon_all_regions: "全部地区", "All regions";
    mon_line: "{year} 年监测线：每人每年 {line} 元", "Monitoring line {year}: ¥{line} per person per year";
    mon_no_line: "{year} 年没有设定监测线，不评定颜色。", "No monitoring line is set for {year}, so no colours are given.";
    mon_counts: "各颜色户数", "Households by colour";
    mon_last_year: "上年", "Last year";
    mon_change: "较上年", "Change";
    mon_households_total: "共 {total} 户", "{total} households";
    mon_children: "下辖地区（点击查看）", "Places below (choose one to look closer)";
    mon_flagged: "红色、橙色预警户", "Red and orange households";
    mon_flagged_none: "没有红色或橙色预警户。", "No red or orange households.";
    mon_household_code: "农户编号", "Household";
    mon_village: "所在村", "Village";
    mon_head: "户主", "Head";
    mon_per_capita: "人均收入（元）", "Per person (yuan)";
    mon_colour: "颜色", "Colour";
    mon_reasons: "原因", "Why";
    mon_record_visit: "登记走访", "Record a visit";
    mon_overdue: "本周未走访的村（近 7 天没有走访记录）", "Villages not visited this week (no visit in the last 7 days)";
    mon_overdue_none: "所有村近 7 天内都有走访记录。", "Every village was visited in the last 7 days.";
    mon_overdue_more: "另有 {n} 个村未列出。", "{n} more villages are not listed.";
    mon_last_visit: "最近一次走访", "Last visit";
    mon_never: "从未走访", "Never";
    mon_alerts: "待处理预警", "Alerts to acknowledge";
    mon_alerts_none: "没有待处理的预警。", "No alerts wait for acknowledgement.";
    mon_alerts_more: "共 {total} 条待处理预警，此处列出最新的 {shown} 条。", "{total} open alerts; the newest {shown} are shown.";
    mon_alert_turned: "{household}（{village}）变为{colour}", "{household} ({village}) turned {colour}";
    mon_alert_turned_from: "{household}（{village}）由{previous}变为{colour}", "{household} ({village}) turned {colour} from {previous}";
    mon_raised_at: "预警时间", "Raised";
    mon_ack_note: "处理情况（必填）", "What was done (required)";
    mon_ack_button: "确认已处理", "Acknowledge";
    mon_ack_done: "预警已确认处理。", "The alert is acknowledged.";
    mon_ack_already: "该预警已由{who}于{at}确认处理。", "This alert was acknowledged already, by {who} at {at}.";
    mon_find: "按农户编号登记走访", "Record a visit by household code";
    mon_find_placeholder: "如 HH-7K3QX9PM", "e.g. HH-7K3QX9PM";
    mon_find_missing: "您的辖区内没有编号为 {code} 的农户。", "No household of your region has the code {code}.";
    mon_import_link: "导入走访记录（CSV / XLSX）", "Import visits (CSV / XLSX)";
    mon_visit_title: "登记走访", "Record a visit";
    mon_visit_household: "农户 {code} · {village} · {size} 人", "Household {code} · {village} · {size} people";
    mon_colour_now: "当前颜色", "Colour now";
    mon_not_rated: "尚未评定", "Not rated yet";
    mon_visited_on: "走访日期", "Day of the visit";
    mon_other_income: "全年其他收入（元）", "Other income this year (yuan)";
    mon_other_income_hint: "务工、养老金、各类补贴等平台销售以外的收入，全年合计。", "Wages, pensions, subsidies — the year's income from outside the platform, in all.";
    mon_risk_factors: "发现的风险因素", "Risk factors found";
    mon_checks: "两不愁三保障（已保障的请勾选）", "Basic needs met (tick each one that is)";
    mon_save_visit: "保存走访记录", "Save the visit";
    mon_visit_saved: "走访已记录，{code} 当前颜色：{colour}。", "Visit recorded; {code} is now {colour}.";
    mon_visit_alert: "该户变为{colour}，已向本辖区发出预警。", "The household turned {colour}: an alert went to the officials of its region.";
    mon_visits: "走访记录", "Visits";
    mon_recorded_by: "记录人", "Recorded by";
    mon_failed_checks: "未保障", "Not met";
    mon_import_title: "导入走访记录（CSV / XLSX）", "Import visits (CSV / XLSX)";
    mon_import_help: "每行一次走访，列名可用中文或英文。风险因素填因病、因学、因残、因灾、因失业、因婚变、因意外，多项用“、”分隔；未达标项填吃、穿、义务教育、医疗、住房、饮水。文件中任何一行有误，则整个文件都不导入，并列出每一行的问题。", "One visit per row; columns may be named in Chinese or English. Risk factors: illness, schooling, disability, disaster, unemployment, marriage, accident (or their Chinese names), several separated by commas; failed checks: food, clothing, schooling, medical, housing, water. If any row is wrong, nothing is imported and every bad row is listed.";
    mon_import_done: "已导入 {visits} 条走访记录（{households} 户），发出 {alerts} 条预警。", "Imported {visits} visits of {households} households; {alerts} alerts raised.";
    colour_red: "红色", "red";
    colour_orange: "橙色", "orange";
    colour_yellow: "黄色", "yellow";
    colour_green: "绿色", "green";
    factor_illness: "因病", "Illness";
    factor_schooling: "因学", "Schooling costs";
    factor_disability: "因残", "Disability";
    factor_disaster: "因灾", "Disaster";
    factor_unemployment: "因失业", "Unemployment";
    factor_marriage: "因婚变", "Marriage breakdown";
    factor_accident: "因意外", "Accident";
    check_food: "不愁吃", "Enough food";
    check_clothing: "不愁穿", "Enough clothing";
    check_schooling: "义务教育有保障", "Compulsory schooling assured";
    check_medical: "基本医疗有保障", "Basic medical care assured";
    check_housing: "住房安全有保障", "Safe housing";
    check_water: "饮水安全有保障", "Safe drinking water";
    reason_below_line: "人均收入低于监测线", "Per-capita income below the line";
    reason_near_line: "人均收入略高于监测线", "Per-capita income just above the line";
    reason_close_to_line: "人均收入接近监测线", "Per-capita income close to the line";
    reason_income_drop: "人均收入较上年大幅下降", "Per-capita income fell sharply from last year";
    reason_failed_check: "{check}：未保障", "{check}: not met";
    // Charts and the agencies' and partner cities' dashboards (issue 13).
    chart_empty: "暂无数据", "No data yet";
    chart_target: "目标", "Target";
    chart_progress: "完成 {percent}（{done} / {target}）", "{percent} done ({done} of {target})";
    chart_no_target: "未设定目标，已完成 {done}", "No target set; {done} so far";
    months_short: "1月|2月|3月|4月|5月|6月|7月|8月|9月|10月|11月|12月", "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
    yuan_small: "{n}元", "¥{n}";
    yuan_medium: "{n}万元", "¥{n}k";
    yuan_large: "{n}亿元", "¥{n}m";
    nav_dashboard: "看板", "Dashboard";
    dash_open: "查看看板", "Open the dashboard";
    dash_prev_year: "上一年", "Previous year";
    dash_next_year: "下一年", "Next year";
    dash_item: "项目", "Item";
    dash_month: "月份", "Month";
    dash_by_month: "按月", "By month";
    pledge_title: "对口帮扶完成进度", "Pledge progress";
    pledge_all: "全部对口地区合计", "All paired regions";
    pledge_region: "{region}（{programme}）", "{region} ({programme})";
    pledge_amount: "帮扶承诺额", "Pledge";
    pledge_direct: "直接采购", "Direct purchase";
    pledge_helped: "带动销售", "Helped sales";
    pledge_done: "合计完成", "Done in all";
    pledge_percent: "完成率", "Done";
    pledge_desc: "{region}：承诺 {pledge}，直接采购 {direct}，带动销售 {helped}，完成 {percent}。", "{region}: pledge {pledge}, direct purchase {direct}, helped sales {helped}, {percent} done.";
    pledge_months_desc: "{year} 年每月的直接采购与带动销售，已扣除退款。", "Direct purchase and helped sales in each month of {year}, net of refunds.";
    pledge_hint: "直接采购：本单位自己下的订单；带动销售：其他买家配送到{city}的订单。两者都只计对口地区出产的产品，已扣除退款，按付款（退款）当天的北京时间计入月份。", "Direct purchase: your own organisation's orders. Helped sales: anyone else's orders delivered into {city}. Both count only produce from the paired regions, net of refunds, in the month (China time) the money moved.";
    pledge_none: "本单位尚无对口帮扶地区。", "Your organisation has no paired regions.";
    no_percent: "未设目标", "no target";
    share_desc: "{year} 年预留份额 {target}，已计入 {counted}，完成 {percent}。", "Reserved share for {year}: {target}; {counted} counted, {percent} done.";
    share_months_desc: "{year} 年每月计入预留份额的金额。", "Amounts counted towards the reserved share in each month of {year}.";
    stand_title: "款项状态", "Where the money stands";
    stand_desc: "已计入、已付款待验收、已验收待付款的金额。", "Amounts counted, paid and awaiting acceptance, and accepted and awaiting payment.";
    stand_counted: "已计入", "Counted";
    stand_awaiting: "已付款、待验收评价", "Paid, awaiting acceptance and rating";
    stand_unpaid: "已验收、待付款（账期）", "Accepted, awaiting payment (credit terms)";
    stand_awaiting_hint: "验收并评价后即计入预留份额。", "These count once accepted and rated.";
    stand_unpaid_hint: "平台财务确认收款后即计入预留份额。", "These count once platform finance confirms the payment.";
    stand_count: "共 {n} 笔，合计 {amount}", "Orders: {n}; {amount} in all";
    stand_listed: "列出最早的 {n} 笔。", "The oldest {n} are listed.";
    stand_none: "没有。", "None.";
    paid_on: "付款日期", "Paid on";
    order_count: "笔数", "Orders";
    dash_download: "下载数据：", "Download the numbers:";
    dash_download_xlsx: "Excel 表格（.xlsx）", "Excel workbook (.xlsx)";
    dash_download_csv: "CSV 文件", "CSV file";
    // h-phone: the lot form's household picker, the console on a phone.
    pick_search: "查找农户", "Find households";
    pick_search_hint: "输入户码、户主姓名或村名", "Household code, head's name or village";
    pick_search_button: "查找", "Find";
    pick_shown: "显示 {shown} 户，共 {total} 户符合；请输入更多文字缩小范围。", "Showing {shown} of {total} matching households; type more to narrow the search.";
    pick_none: "没有符合的成员农户。", "No member household matches.";
    pick_too_long: "查找内容最多 {max} 个字", "Search for at most {max} characters";
    pick_more_rows: "再加 {n} 行", "Add {n} rows";
    pick_rows_full: "本表最多 {max} 户；更多农户请用批量导入。", "This form takes at most {max} households; import a file for more.";
    pick_household: "选择农户", "Choose a household";
    console_new_lot_of: "新批次", "New lot";
    // h-forgive (issue 14 §4, forms that forgive): checkout, the cart's
    // refused quantities, confirmations and reasons, the placed page.
    region_apply: "更新地区", "Update the region";
    approval_needed: "本单位审批限额 {limit}；本单合计 {total}，超过限额，提交后需经审批人批准才能付款。", "Your agency's approval limit is {limit}. This order comes to {total}, above the limit: an approver must approve it before it can be paid.";
    approval_not_needed: "本单位审批限额 {limit}；本单合计 {total}，未超过限额，无需审批。", "Your agency's approval limit is {limit}. This order comes to {total}, within the limit: no approval needed.";
    cart_short: "{product} 当前仅剩 {available} {unit}，数量未改为 {asked} {unit}。", "Only {available} {unit} of {product} left, so the quantity was not changed to {asked}.";
    cart_take_available: "改为", "Change to";
    confirm_needed: "请先勾选确认框，再提交。此操作不能撤销。", "Tick the confirmation box first: this cannot be undone.";
    confirm_short: "确认", "Confirm";
    confirm_approve: "确认批准：批准后订单进入付款，不能撤回。", "I confirm: once approved the order goes on to payment; this cannot be undone.";
    confirm_reject: "确认驳回：订单将被取消、库存释放，不能撤回。", "I confirm: the order will be cancelled and its stock released; this cannot be undone.";
    confirm_cancel: "确认取消：订单将被取消、库存释放，不能撤回。", "I confirm: the order will be cancelled and its stock released; this cannot be undone.";
    confirm_accept: "确认货物已全部收到且无误：验收后不能撤回。", "I confirm all the goods arrived as ordered; acceptance cannot be undone.";
    confirm_payment: "确认已到账", "Money received";
    confirm_refund: "确认退款：退款后不能撤回。", "I confirm the refund; it cannot be undone.";
    reject_reason: "驳回理由", "Reason for rejecting";
    cancel_reason: "取消原因", "Reason for cancelling";
    approvals_hint: "批准前请勾选“确认”；驳回需填写理由，请在订单页操作。", "Tick “Confirm” before approving; to reject, give a reason on the order's page.";
    history_reason: "原因：{reason}", "Reason: {reason}";
    history_refund: "退款 {reference}：{amount}，原因：{reason}", "Refund {reference}: {amount}; reason: {reason}";
    ratings_given: "验收评价", "Ratings given";
    rating_stars_n: "{stars} 星", "{stars} stars";
    placed_title: "订单已提交", "Order placed";
    placed_next: "接下来", "What happens next";
    next_approval: "本单超过本单位审批限额，需审批人批准（请在 {until} 前完成，否则订单自动取消、库存释放）。", "This order is above your agency's approval limit: an approver must approve it by {until}, or it is cancelled and its stock released.";
    next_approval_plain: "本单超过本单位审批限额，需审批人批准。", "This order is above your agency's approval limit: an approver must approve it.";
    next_pay_invoice: "按付款通知书对公转账；平台财务确认收款后，合作社开始备货。", "Pay by bank transfer against the invoice; once platform finance confirms the payment, the cooperatives start packing.";
    next_pay_stripe: "在订单页在线支付（银行卡 / 支付宝 / 微信支付）；付款后合作社开始备货。", "Pay online on the order's page (card, Alipay, WeChat Pay); once paid, the cooperatives start packing.";
    next_credit: "本单位享有 {days} 天账期：货物先发，验收后 {days} 天内对公转账付款。", "Your agency has {days}-day credit terms: the goods go first, and you pay by bank transfer within {days} days of accepting them.";
    next_delivery: "货物经县、乡服务站送到 {place}；到货后请在订单页验收，并为合作社评分。", "The goods travel through the county and township hubs to {place}; when they arrive, accept them on the order's page and rate the cooperatives.";
    placed_view_order: "查看订单", "View the order";
    placed_invoice: "打印付款通知书", "Print the invoice";
    placed_more: "继续采购", "Keep shopping";
    // ---- h-money: the money and the chain shown plainly (issue 14 §6, §2 imports, §4 invoice) ----
    reach_cooperative: "合作社", "Cooperative";
    reach_village: "村", "Village";
    reach_households: "农户（户）", "Households";
    reach_poor: "其中建档立卡贫困户（户）", "Of them registered poor";
    reach_gross: "计入农户的销售额", "Sales credited to households";
    reach_income: "农户所得", "Households' income";
    reach_report: "查看该村的帮扶成效报表", "This village's report";
    reach_hint: "数据来自收益台账，已扣除退款；农户所得按各合作社的分成比例计算。户数按付款时的农户类别统计，不公开农户身份。", "From the attribution ledger, net of refunds; the households' income follows each cooperative's payout ratio. Households are counted by their status when the money moved; no household is named.";
    reach_none: "这笔订单已全部退款，没有计入农户的金额。", "This order was refunded in full: nothing is credited to households.";
    invoice_issued: "开具日期", "Issued on";
    invoice_due: "付款期限", "Payment due";
    invoice_due_terms: "{due}（账期 {days} 天，自验收之日起算）", "{due} ({days}-day credit terms, counted from acceptance)";
    invoice_due_after_acceptance: "验收后 {days} 天内（账期 {days} 天）", "Within {days} days of acceptance ({days}-day credit terms)";
    invoice_due_hold: "{due} 前；逾期未付款，订单将自动取消", "By {due}; unpaid after that, the order is cancelled";
    invoice_paid_on: "已于 {paid} 付款", "Paid on {paid}";
    invoice_pay_to: "收款账户", "Pay to";
    invoice_payee_ask: "收款账户信息请向平台财务索取，转账时请注明订单号。", "Ask platform finance for the bank account to pay into, and put the order number in the transfer's reference.";
    invoice_seal_payee: "收款单位（盖章）", "Payee (seal)";
    invoice_seal_buyer: "付款单位（盖章）", "Buyer (seal)";
    invoice_signed: "经办人（签字）", "Handled by (signature)";
    invoice_sign_date: "日期", "Date";
    finance_payee_missing: "收款账户尚未配置，付款通知书上不会显示收款账户：请设置 {settings} 后重启服务。", "The bank account for payments is not configured, so invoices show none: set {settings} and restart the service.";
    import_help_names: "每行一个供货农户；lot 相同的行组成一个批次。产品填产品名称（同名产品填下方列出的编号），站点填站点名称，农户填农户编号；列名可用中文或英文。文件中任何一行有误，则整个文件都不导入，并列出每一行的问题。", "One row per contributing household; rows with the same lot form one lot. Name the product (or, for two products of one name, give its number listed below), the node by its name and the household by its code; columns may be named in Chinese or English. If any row is wrong, nothing is imported and every bad row is listed.";
    import_sample_download: "下载示例文件（可直接导入本社）", "Download the sample file (it imports into your cooperative as it is)";
    import_products: "本社产品", "Your products";
    import_nodes: "可存放批次的站点", "Nodes your lots may sit at";
    import_name: "名称", "Name";
    import_number: "编号", "Number";
    coop_profile_title: "本社名称", "Your cooperative's names";
    coop_profile_link: "本社名称", "Names";
    coop_profile_registered: "登记名称", "Registered name";
    coop_profile_hint: "选填。英文页面在中文名称前显示英文名称；留空则只显示中文名称。最多 120 个字符，不含汉字。", "Optional. The English pages show it before the Chinese name; left empty, they show the Chinese name alone. At most 120 characters, no Chinese characters.";
    coop_profile_saved: "已保存。", "Saved.";
    supports_label: "带动农户", "Households supported";
    supports_lead: "带动 {households} 户农户增收：{statuses}", "Supports {households} households: {statuses}";
    supports_village: "{village}：{households} 户（{statuses}）", "{village}: {households} households ({statuses})";
    supports_lead_one: "带动 {households} 户农户增收：{statuses}", "Supports {households} household: {statuses}";
    supports_village_one: "{village}：{households} 户（{statuses}）", "{village}: {households} household ({statuses})";
    supports_more: "另有 {n} 个村", "and {n} more villages";
    supports_more_one: "另有 {n} 个村", "and {n} more village";
    supports_hint: "按户统计，只公开村名和户数，不公开农户身份。", "Counted by household: only villages and numbers are public, never who they are.";
    supports_none: "还没有农户为其供货的记录。", "No household has supplied it yet.";
    count_registered_poor: "建档立卡贫困户 {n} 户", "{n} registered poor";
    count_monitored: "监测户 {n} 户", "{n} monitored";
    count_edge: "边缘户 {n} 户", "{n} at the edge";
    count_lifted: "已脱贫户 {n} 户", "{n} lifted out of poverty";
    count_other: "一般农户 {n} 户", "{n} other";
    // English everywhere, dates in words (issue 14 §1, h-english).
    colon: "：", ": ";
    // h-photos: product photos, illustrations, the poster and the tiers line (issue 14 §3).
    photos_title: "产品照片", "Product photos";
    photos_help: "最多 {max} 张；JPEG、PNG 或 WebP，每张不超过 {mb} MB、{mp} 万像素。服务器会去掉拍摄信息（位置、机型），并生成缩略图、卡片图和大图。",
        "Up to {max} photos; JPEG, PNG or WebP, each at most {mb} MB and {mp} million pixels. The server removes what the camera recorded (place, phone model) and makes a thumbnail, a card picture and a large picture.";
    photos_none: "还没有照片：店铺里显示的是示意图。", "No photos yet: the storefront shows an illustration.";
    photos_file: "选择照片", "Choose a photo";
    photos_upload: "上传照片", "Upload photo";
    photos_delete: "删除", "Delete";
    photos_make_first: "设为首图", "Make first";
    photos_first: "首图", "First photo";
    photos_added: "照片已上传。", "The photo was uploaded.";
    photos_deleted: "照片已删除。", "The photo was deleted.";
    photos_reordered: "已设为首图。", "The photo is now the first.";
    photos_full: "已有 {max} 张照片，请先删除一张再上传。", "This product has {max} photos already. Delete one before uploading another.";
    photo_empty: "请选择一张照片。", "Choose a photo to upload.";
    photo_wrong_type: "只能上传 JPEG、PNG 或 WebP 图片。", "Only JPEG, PNG or WebP pictures can be uploaded.";
    photo_too_large: "照片文件太大：每张不能超过 {mb} MB。可以先用手机的“压缩”或通过聊天软件发送后再上传。", "The photo file is too large: at most {mb} MB each. Reduce it on the phone (or send it through a chat app) and upload it again.";
    photo_too_many_pixels: "照片尺寸太大（{width} × {height} 像素）：最多 {mp} 万像素，每边不超过 {side} 像素。", "The picture is too large ({width} × {height} pixels): at most {mp} million pixels and {side} pixels on a side.";
    photo_unreadable: "无法读取这张图片，文件可能已损坏。", "This picture cannot be read; the file may be damaged.";
    photo_too_slow: "处理这张照片超过了 {secs} 秒，请换一张较小的照片。", "Reading this photo took more than {secs} seconds. Try a smaller one.";
    photo_duplicate: "这张照片已经上传过了。", "This photo is already one of the product's.";
    photo_busy: "正在处理其他上传，请稍后几秒再试。", "Other uploads are being processed. Try again in a few seconds.";
    photo_alt: "{name}的照片", "Photo of {name}";
    illustration: "示意图", "Illustration";
    illustration_alt: "{name}（示意图，非实拍）", "{name} (illustration, not a photo)";
    illustration_note: "示意图，非实拍", "Illustration, not a photo";
    tier_short: "{min}{unit}起 {price}", "≥{min} {unit} {price}";
    price_per_unit: "单价", "Unit price";
    poster_link: "打印海报（含二维码）", "Print a poster (with QR code)";
    poster_scan: "扫码查看产品、下单采购", "Scan to see the product and order";
    poster_print: "打印", "Print";
    qr_alt: "{name}产品页面的二维码", "QR code of the page of {name}";
    og_description: "产地：{origin}。{tiers}。{coop}", "Origin: {origin}. {tiers}. {coop}";
}

impl Words {
    /// A monitoring colour (红色 / red).
    pub fn colour(&self, c: crate::monitoring::Colour) -> &'static str {
        use crate::monitoring::Colour;
        match c {
            Colour::Red => self.colour_red,
            Colour::Orange => self.colour_orange,
            Colour::Yellow => self.colour_yellow,
            Colour::Green => self.colour_green,
        }
    }

    /// A risk factor (因病 / Illness).
    pub fn risk_factor(&self, f: crate::monitoring::RiskFactor) -> &'static str {
        use crate::monitoring::RiskFactor as F;
        match f {
            F::Illness => self.factor_illness,
            F::Schooling => self.factor_schooling,
            F::Disability => self.factor_disability,
            F::Disaster => self.factor_disaster,
            F::Unemployment => self.factor_unemployment,
            F::Marriage => self.factor_marriage,
            F::Accident => self.factor_accident,
        }
    }

    /// A 两不愁三保障 check (饮水安全有保障 / Safe drinking water).
    pub fn check(&self, c: crate::monitoring::Check) -> &'static str {
        use crate::monitoring::Check as C;
        match c {
            C::Food => self.check_food,
            C::Clothing => self.check_clothing,
            C::Schooling => self.check_schooling,
            C::Medical => self.check_medical,
            C::Housing => self.check_housing,
            C::Water => self.check_water,
        }
    }

    /// Why a household has its colour, in words; a code this table does
    /// not know is left out rather than shown.
    pub fn reason(&self, code: &str) -> Option<String> {
        use crate::monitoring::Reason;
        Some(match Reason::parse(code)? {
            Reason::BelowLine => self.reason_below_line.to_owned(),
            Reason::NearLine => self.reason_near_line.to_owned(),
            Reason::CloseToLine => self.reason_close_to_line.to_owned(),
            Reason::IncomeDrop => self.reason_income_drop.to_owned(),
            Reason::Factor(f) => self.risk_factor(f).to_owned(),
            Reason::Failed(c) => fill(self.reason_failed_check, &[("check", &self.check(c))]),
        })
    }

    /// The reasons of a household, as one line of words.
    pub fn reasons(&self, codes: &[String]) -> String {
        self.list(&codes.iter().filter_map(|c| self.reason(c)).collect::<Vec<_>>())
    }

    /// The language these words are of.
    pub fn lang(&self) -> Lang {
        if self.html_lang == EN.html_lang { Lang::En } else { Lang::Zh }
    }

    /// Items of a list as the language writes them (伽师县、叶城县 /
    /// Jiashi, Yecheng).
    pub fn list(&self, items: &[String]) -> String {
        items.join(self.lang().pick("、", ", "))
    }

    /// The cart's hint of the next price tier.
    pub fn next_tier_line(&self, quantity: impl Display, unit: impl Display, price: impl Display) -> String {
        fill(self.next_tier, &[("quantity", &quantity), ("unit", &unit), ("price", &price)])
    }

    /// "第 2 / 7 页，共 130 件" / "Page 2 of 7, 130 items".
    pub fn page_line(&self, page: impl Display, pages: impl Display, total: impl Display) -> String {
        fill(self.page_of, &[("page", &page), ("pages", &pages), ("total", &total)])
    }

    /// A pager of households: "第 2 / 7 页，共 130 户" / "Page 2 of 7, 130
    /// households".
    pub fn households_page_line(&self, page: impl Display, pages: impl Display, total: impl Display) -> String {
        fill(self.page_of_households, &[("page", &page), ("pages", &pages), ("total", &total)])
    }

    /// A price tier's start: "50kg起订" / "from 50 kg".
    pub fn tier_from_line(&self, min: impl Display, unit: impl Display) -> String {
        fill(self.tier_from, &[("min", &min), ("unit", &unit)])
    }

    /// The console's alerts.
    pub fn near_expiry_line(&self, n: impl Display) -> String {
        fill(self.console_near_expiry, &[("n", &n)])
    }

    /// The console's alerts.
    pub fn low_stock_line(&self, n: impl Display) -> String {
        fill(self.console_low, &[("n", &n)])
    }

    /// The count of search results, its number in bold (HTML).
    pub fn results_html(&self, total: impl Display) -> String {
        fill_html(self.results_count, &[("total", strong(None, total))])
    }

    /// A cooperative's members and payout (HTML, number in bold).
    pub fn members_html(&self, members: impl Display, poor: impl Display, percent: impl Display) -> String {
        fill_html(self.members_line, &[("members", strong(None, members)), ("poor", escape(poor)), ("percent", escape(percent))])
    }

    /// A household's poverty status, for templates.
    pub fn household_status(&self, s: &str) -> String {
        household_status(self.lang(), s)
    }

    /// A stored moment on China's clock, in words ([`when`]).
    pub fn when(&self, stored: &str) -> String {
        when(self.lang(), stored)
    }

    /// How long ago a stored moment was ([`ago`]), for templates; the
    /// moment itself ([`Words::when`]) goes in the element's title.
    pub fn ago(&self, stored: &str) -> String {
        ago(self.lang(), stored, time::OffsetDateTime::now_utc())
    }

    /// A date (`YYYY-MM-DD`) in words ([`day`]), for templates.
    pub fn day(&self, ymd: &str) -> String {
        day(self.lang(), ymd)
    }

    /// A selling unit ([`unit`]), for templates.
    pub fn unit(&self, u: &str) -> String {
        unit(self.lang(), u)
    }

    /// The word of a unit after a number ([`unit_for`]), for templates.
    pub fn unit_for(&self, n: impl Display, u: &str) -> String {
        unit_for(self.lang(), n, u)
    }

    /// A quantity with its unit ([`quantity`]), for templates.
    pub fn quantity(&self, n: impl Display, u: &str) -> String {
        quantity(self.lang(), n, u)
    }

    /// An organisation's name ([`org_name`]), for templates.
    pub fn org_name(&self, name: &str, name_en: Option<&str>) -> String {
        org_name(self.lang(), name, name_en)
    }

    /// A place by name ([`place`]), for templates.
    pub fn place(&self, name: &str) -> String {
        place(self.lang(), name)
    }

    /// A chain of places ([`chain`]), for templates.
    pub fn chain(&self, label: &str) -> String {
        chain(self.lang(), label)
    }

    /// Why a lot's quantity changed, for templates.
    pub fn movement_reason(&self, r: &str) -> String {
        movement_reason(self.lang(), r)
    }

    /// A storage class by name, for templates.
    pub fn storage_named(&self, s: &str) -> String {
        storage_named(self.lang(), s)
    }

    /// A certificate kind by name, for templates.
    pub fn certificate_kind_named(&self, k: &str) -> String {
        certificate_kind_named(self.lang(), k)
    }

    /// A kind of node of the chain (村集货点 …).
    pub fn node_kind(&self, k: NodeKind) -> &'static str {
        match k {
            NodeKind::VillagePoint => self.kind_village_point,
            NodeKind::TownshipSorting => self.kind_township_sorting,
            NodeKind::CountyDistribution => self.kind_county_distribution,
            NodeKind::PrefectureHub => self.kind_prefecture_hub,
        }
    }

    /// The step of the chain a kind of node stands for, in a route's
    /// diagram (村 → 乡 → 县 → 地区).
    pub fn level_of(&self, k: NodeKind) -> &'static str {
        match k {
            NodeKind::VillagePoint => self.level_village,
            NodeKind::TownshipSorting => self.level_township,
            NodeKind::CountyDistribution => self.level_county,
            NodeKind::PrefectureHub => self.level_prefecture,
        }
    }

    /// Where a shipment is, in words.
    pub fn shipment_status(&self, s: ShipmentStatus) -> &'static str {
        match s {
            ShipmentStatus::Open => self.ship_open,
            ShipmentStatus::Closed => self.ship_closed,
            ShipmentStatus::Dispatched => self.ship_dispatched,
            ShipmentStatus::Received => self.ship_received,
            ShipmentStatus::Delivered => self.ship_delivered,
        }
    }

    /// What a scan records, in words (发运, 到货, 签收).
    pub fn scan_event(&self, e: ScanEvent) -> &'static str {
        match e {
            ScanEvent::Dispatched => self.scan_dispatched,
            ScanEvent::Received => self.scan_received,
            ScanEvent::Delivered => self.scan_delivered,
        }
    }

    /// Why a route passed over a level of the chain.
    pub fn skip_reason(&self, r: SkipReason) -> &'static str {
        match r {
            SkipReason::NoNode => self.track_skipped_no_node,
            SkipReason::NoColdStorage => self.track_skipped_no_cold,
        }
    }

    /// A rating in words: "4 星" / "4 stars".
    pub fn rating_stars(&self, stars: &i64) -> String {
        fill(self.rating_stars_n, &[("stars", stars)])
    }

    /// The label of an order status (or of a line's: waiting, in_transit,
    /// delivered).
    pub fn status(&self, s: &str) -> &'static str {
        match s {
            "placed" => self.status_placed,
            "pending_approval" => self.status_pending_approval,
            "awaiting_payment" => self.status_awaiting_payment,
            "paid" => self.status_paid,
            "in_transit" => self.status_in_transit,
            "delivered" => self.status_delivered,
            "accepted" => self.status_accepted,
            "cancelled" => self.status_cancelled,
            "refunded" => self.status_refunded,
            "waiting" => self.line_waiting,
            _ => "?",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_moment_reads_as_china_time_in_either_language() {
        let stored = "2026-11-30T08:00:12.123456Z";
        assert_eq!(when(Lang::Zh, stored), "2026年11月30日 16:00");
        assert_eq!(when(Lang::En, stored), "30 Nov 2026, 16:00");
        // After 16:00 UTC it is the next day in China.
        assert_eq!(when(Lang::Zh, "2026-12-31T16:05:00.000000Z"), "2027年1月1日 00:05");
        assert_eq!(when(Lang::En, "2026-12-31T16:05:00.000000Z"), "1 Jan 2027, 00:05");
        assert_eq!(when(Lang::Zh, "not a time"), "not a time");
    }

    #[test]
    fn no_english_word_holds_chinese_characters_or_punctuation() {
        let chinese = |c: char| {
            ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3000}'..='\u{303f}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
        };
        // The language switch names Chinese in Chinese, for those who read it.
        let mixed: Vec<&str> =
            TABLE.iter().filter(|(name, _, en)| *name != "switch_label" && en.chars().any(chinese)).map(|(name, _, _)| *name).collect();
        assert!(mixed.is_empty(), "English words with Chinese in them: {mixed:?}");
    }

    #[test]
    fn selling_units_read_in_english_with_plurals() {
        assert_eq!(unit(Lang::En, "箱"), "case");
        assert_eq!(unit(Lang::En, "袋"), "bag");
        assert_eq!(unit(Lang::En, "盒"), "box");
        assert_eq!(unit(Lang::En, "瓶"), "bottle");
        assert_eq!(unit(Lang::En, "kg"), "kg");
        assert_eq!(unit(Lang::Zh, "箱"), "箱");
        assert_eq!(quantity(Lang::En, 270, "箱"), "270 cases");
        assert_eq!(quantity(Lang::En, 1, "箱"), "1 case");
        assert_eq!(quantity(Lang::En, 2, "case"), "2 cases");
        assert_eq!(quantity(Lang::En, 3, "盒"), "3 boxes");
        assert_eq!(quantity(Lang::En, 40, "kg"), "40 kg");
        assert_eq!(quantity(Lang::En, 5, "斤"), "5 jin (500 g)");
        assert_eq!(quantity(Lang::Zh, 270, "箱"), "270 箱");
        // Every Chinese unit of the table has an English word without Chinese in it.
        assert!(UNITS.iter().all(|(_, en, many)| en.is_ascii() && many.is_ascii()));
    }

    #[test]
    fn recent_moments_read_as_how_long_ago() {
        let now = time::macros::datetime!(2026-11-30 08:00 UTC);
        assert_eq!(ago(Lang::Zh, "2026-11-27T07:00:00.000000Z", now), "3 天前");
        assert_eq!(ago(Lang::En, "2026-11-27T07:00:00.000000Z", now), "3 days ago");
        assert_eq!(ago(Lang::En, "2026-11-30T07:00:00.000000Z", now), "1 hour ago");
        assert_eq!(ago(Lang::Zh, "2026-11-30T07:59:30.000000Z", now), "刚刚");
        // Long ago, it is the moment itself.
        assert_eq!(ago(Lang::Zh, "2026-01-30T08:00:00.000000Z", now), "2026年1月30日 16:00");
    }

    #[test]
    fn places_read_in_english_with_the_chinese_beside_the_one_a_line_is_about() {
        assert_eq!(place(Lang::En, "伽师县"), "Jiashi County");
        assert_eq!(place(Lang::Zh, "巴仁村委会"), "巴仁村");
        assert_eq!(
            chain(Lang::En, "新疆维吾尔自治区 › 喀什地区 › 伽师县"),
            "Xinjiang Uygur Autonomous Region › Kashgar Prefecture › Jiashi County (伽师县)"
        );
        assert_eq!(chain(Lang::Zh, "喀什地区 › 伽师县"), "喀什地区 › 伽师县");
    }

    #[test]
    fn a_date_reads_as_a_date_in_either_language() {
        assert_eq!(day(Lang::Zh, "2028-12-31"), "2028年12月31日");
        assert_eq!(day(Lang::En, "2028-12-31"), "31 Dec 2028");
        assert_eq!(day(Lang::Zh, "2027-01-05"), "2027年1月5日");
        assert_eq!(day(Lang::Zh, "soon"), "soon");
    }
}
