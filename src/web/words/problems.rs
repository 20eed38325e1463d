//! The words of the domain's problems ([`Problem`]) and of the fields they
//! name, in both languages side by side. The domain says what is wrong as a
//! code and its values; here each code becomes one whole sentence in the
//! viewer's language, with the field's human label in it ("请填写详细地址
//! （1–200 个字）", "类乌齐牦牛肉：库存仅 270，订购 5050"). The API keeps
//! its own English (`Problem`'s `Display`), which pages never show.

use super::{Lang, fill};
use crate::stock::OverBudget;
use crate::validation::{FieldError, Problem};

/// Picks the sentence of `$lang` and fills its `{placeholders}` with the
/// named values: `say!(lang, "请填写{label}", "Give the {label}", label = l)`.
macro_rules! say {
    ($lang:expr, $zh:literal, $en:literal $(, $name:ident = $value:expr)* $(,)?) => {
        fill($lang.pick($zh, $en), &[$((stringify!($name), &$value as &dyn std::fmt::Display)),*])
    };
}

/// A problem of one field, in the viewer's language: the field's label
/// (see [`label`]) in the sentence.
pub fn field_error(lang: Lang, e: &FieldError) -> String {
    problem(lang, &label(lang, &e.field), &e.problem)
}

/// Every problem of a list, one sentence each.
pub fn field_errors(lang: Lang, errors: &crate::validation::FieldErrors) -> Vec<String> {
    errors.0.iter().map(|e| field_error(lang, e)).collect()
}

/// The sentence of `p` about the field called `label`.
pub fn problem(lang: Lang, label: &str, p: &Problem) -> String {
    use Problem::*;
    let grouped = crate::bounds::grouped;
    match p {
        TooLong { max } => say!(lang, "{label}最多 {max} 个字", "{label}: at most {max} characters", label = label, max = grouped(*max)),
        Length { min, max } => {
            say!(lang, "请填写{label}（{min}–{max} 个字）", "{label}: give {min} to {max} characters", label = label, min = min, max = max)
        }
        Date => say!(lang, "{label}请按“年-月-日”填写，如 2026-09-01", "{label}: give a date as YYYY-MM-DD", label = label),
        ScanTime { max_age_days } => say!(
            lang,
            "{label}：扫描时间无效（不能晚于现在，也不能早于 {max_age_days} 天前）",
            "{label}: the time of the scan must not be in the future or more than {max_age_days} days ago",
            label = label,
            max_age_days = max_age_days
        ),
        // Scan refusals are worded by the scan page itself (hub.rs) with
        // the state's and event's words; these are their plain forms.
        ShipmentState { current } => {
            say!(lang, "{label}：运单当前状态为 {current}", "{label}: the shipment is {current}", label = label, current = current)
        }
        ScanNode { event } => say!(
            lang,
            "{label}：本站不能登记此运单的 {event}",
            "{label}: this shipment is not {event} at this node",
            label = label,
            event = event
        ),
        ScanEvent { to } => {
            say!(lang, "{label}：此运单不能这样登记", "{label}: this shipment is not scanned so ({to})", label = label, to = to)
        }
        UnitWeight { max } => {
            say!(
                lang,
                "{label}请填写每件重量（1–{max} 克）",
                "{label}: give the weight of one unit in grams (1–{max})",
                label = label,
                max = grouped(*max)
            )
        }
        DateBetween { from, to } => say!(
            lang,
            "{label}须在 {from} 年至 {to} 年之间",
            "{label}: give a date between {from} and {to}",
            label = label,
            from = from,
            to = to
        ),
        OneOf(_) | Choice(_) => say!(lang, "请从列表中选择{label}", "{label}: choose one from the list", label = label),
        ForbiddenChars => say!(
            lang,
            "{label}含有无法保存的控制字符或文字方向符号（多见于从其他软件复制的文字），请删除后重试",
            "{label}: remove the control characters or text-direction marks (often from text pasted from another program); they cannot be stored",
            label = label
        ),
        LatinText => say!(
            lang,
            "{label}请用英文（拉丁字母）填写，不含汉字",
            "{label}: write it in Latin letters, without Chinese characters",
            label = label
        ),
        More { n } => say!(lang, "另有 {n} 个问题未列出", "{n} more problems not listed", n = n),
        Several(all) => all.iter().map(|p| problem(lang, label, p)).collect::<Vec<_>>().join("\n"),
        Unreadable(_) => say!(lang, "{label}无法读取", "{label} could not be read", label = label),
        RegionCode { text } => say!(
            lang,
            "{label}“{text}”不是区划代码，请填写 12 位统计用区划代码",
            "{label}: “{text}” is not a region code; give the 12-digit statistical division code",
            label = label,
            text = text
        ),
        RegionOfLevel { level } => {
            say!(
                lang,
                "{label}须是{level}的区划代码",
                "{label}: give the code of a {level}",
                label = label,
                level = region_level(lang, level)
            )
        }
        NoSuchRegion => say!(lang, "{label}：没有这个地区", "{label}: no such region", label = label),
        NoSuchVillage => say!(lang, "{label}：没有这个村", "{label}: no such village", label = label),
        NotAVillage => say!(lang, "{label}须是一个村", "{label}: the origin must be a village", label = label),
        OutsideCounty { .. } => {
            say!(lang, "{label}须是本合作社所在县的村", "{label}: must be a village of the cooperative's county", label = label)
        }
        ProductName { max } => {
            say!(lang, "请填写{label}（1–{max} 个字）", "{label}: give a name of 1 to {max} characters", label = label, max = max)
        }
        DuplicateProductName => say!(lang, "本合作社已有同名产品", "This cooperative already lists a product of this name"),
        SellingUnit { max } => say!(
            lang,
            "请填写{label}（如 kg、箱、袋，最多 {max} 个字）",
            "{label}: give the selling unit (e.g. kg, box, bag) in at most {max} characters",
            label = label,
            max = max
        ),
        NoPriceTier => say!(lang, "请至少填写一档价格", "Give at least one price tier"),
        TooManyPriceTiers { max } => say!(lang, "价格最多 {max} 档", "Give at most {max} price tiers", max = max),
        FirstTierFromOne => say!(lang, "第一档须从数量 1 起", "The first tier must start at quantity 1"),
        UnitPrice { max_yuan } => say!(
            lang,
            "{label}须在 0.01 元至 {max} 元之间",
            "{label}: a unit price is from 1 fen to ¥{max}",
            label = label,
            max = grouped(*max_yuan)
        ),
        TierStart { max } => {
            say!(lang, "{label}须在 1 至 {max} 之间", "{label}: a tier starts at 1 to {max} units", label = label, max = grouped(*max))
        }
        TiersAscend => say!(lang, "{label}须大于上一档", "{label}: tiers must go up in quantity", label = label),
        TierPriceDescends => {
            say!(lang, "{label}须低于上一档的单价", "{label}: a larger quantity must have a lower unit price", label = label)
        }
        TooManyCertificates { max } => say!(lang, "认证最多 {max} 项", "Give at most {max} certificates", max = max),
        CertificateNumber { max } => say!(
            lang,
            "请填写{label}（最多 {max} 个字）",
            "{label}: give the certificate number (at most {max} characters)",
            label = label,
            max = max
        ),
        NoSuchCategory => say!(lang, "没有这个品类", "No such category"),
        HouseholdSize => say!(lang, "{label}须为 1 至 30 人", "{label}: a household has 1 to 30 people", label = label),
        RegisterNumber => {
            say!(lang, "{label}只能由字母、数字和“-”组成，最多 40 个", "{label}: letters, digits and '-' only, at most 40", label = label)
        }
        DuplicateRegisterNumber => {
            say!(lang, "已有农户使用这个{label}", "{label}: a household with this number exists already", label = label)
        }
        LotQuantity { max } => {
            say!(lang, "{label}须在 1 至 {max} 之间", "{label}: a lot holds from 1 to {max} units", label = label, max = grouped(*max))
        }
        Units { max } => say!(lang, "{label}须在 1 至 {max} 之间", "{label}: give 1 to {max} units", label = label, max = grouped(*max)),
        TooManyContributions { max } => {
            say!(lang, "一个批次最多登记 {max} 户供货农户", "A lot may name at most {max} households", max = grouped(*max))
        }
        NoContributions => say!(lang, "请填写供货的成员农户", "Name the member households that supplied the lot"),
        HouseholdTwice => say!(lang, "{label}重复了", "{label}: this household is listed twice", label = label),
        NotAMember => say!(lang, "{label}不是本合作社的成员农户", "{label}: not a member household of this cooperative", label = label),
        ContributionsSum { sum, lot } => say!(
            lang,
            "各农户供货数量之和为 {sum}，但批次数量为 {lot}",
            "The households' quantities add up to {sum}, but the lot holds {lot}",
            sum = sum,
            lot = lot
        ),
        ExpiresBeforeHarvest => say!(lang, "保质期不能早于采收日期", "A lot cannot expire before it is harvested"),
        NoSuchNode => say!(lang, "{label}：没有这个站点", "{label}: no such node", label = label),
        NodeOffChain => say!(
            lang,
            "请选择本村所在链路上的站点：村收集点、乡分拣中心、县配送中心或地区集散中心",
            "Choose a node on your village's chain: its collection point, township sorting centre, county distribution centre or prefecture hub"
        ),
        HarvestInFuture => say!(lang, "{label}不能晚于今天", "{label}: a harvest cannot be dated in the future", label = label),
        HarvestTooOld { days } => say!(
            lang,
            "{label}须在最近 {days} 天内",
            "{label}: give a harvest date within the last {days} days",
            label = label,
            days = days
        ),
        ShelfLife { years } => {
            say!(lang, "保质期最长为采收后 {years} 年", "A lot may expire at most {years} years after its harvest", years = years)
        }
        ZeroChange => say!(lang, "{label}不能为 0", "{label}: a change of 0 changes nothing", label = label),
        AdjustmentTooLarge { max } => {
            say!(lang, "每次最多增减 {max}", "Change a lot by at most {max} units at a time", max = grouped(*max))
        }
        LotFull { max, quantity } => say!(
            lang,
            "一个批次最多 {max}，目前已有 {quantity}",
            "A lot holds at most {max} units; it holds {quantity} now",
            max = grouped(*max),
            quantity = quantity
        ),
        BelowAllocated { lot, allocated, available } => say!(
            lang,
            "批次 {lot} 只有 {available} 未被订单占用（已占用 {allocated}），不能减少更多",
            "Only {available} units are free in lot {lot}: {allocated} are held by orders",
            lot = lot,
            available = available,
            allocated = allocated
        ),
        OverBudget(o) => over_budget(lang, o),
        MissingColumn { column, expected } => say!(
            lang,
            "缺少“{column}”列；表头须包含 {columns}",
            "Missing column “{column}”; the header must name {columns}",
            column = column,
            columns = expected.join(", ")
        ),
        NotWholeNumber { column, text } => {
            say!(lang, "{column} 列须为整数，而不是 {text}", "{column} must be a whole number, not {text}", column = column, text = text)
        }
        NotADate { column, text } => say!(
            lang,
            "{column} 列须为“年-月-日”格式的日期，而不是 {text}",
            "{column} must be a date as YYYY-MM-DD, not {text}",
            column = column,
            text = text
        ),
        NoLotReference => say!(lang, "lot 列须填写本行所属的批次", "lot must name the lot this row belongs to"),
        NotAMemberCode { text } => {
            say!(lang, "{text} 不是本合作社的成员农户", "{text} is not a member household of this cooperative", text = text)
        }
        LotRowsDiffer { lot, first_row } => say!(
            lang,
            "批次 {lot}：产品、数量、日期和站点须与第 {row} 行一致",
            "Lot {lot}: product, quantity, dates and node must match row {row}",
            lot = lot,
            row = first_row
        ),
        InLot { lot, rows, field, problem: inner } => say!(
            lang,
            "批次 {lot}（第 {rows} 行）：{problem}",
            "Lot {lot} (rows {rows}): {problem}",
            lot = lot,
            rows = rows,
            problem = problem(lang, &self::label(lang, field), inner)
        ),
        ForeignProduct { lot, product } => say!(
            lang,
            "批次 {lot}：产品 {product} 不是本合作社的产品",
            "Lot {lot}: product {product} is not one of this cooperative's",
            lot = lot,
            product = product
        ),
        MoreRows { n, max } => fill(lang.t().import_more_rows, &[("n", n), ("max", max)]),
        NoLines => say!(lang, "请至少订购一种商品", "Order at least one product"),
        TooManyLines { max } | RefundTooManyLines { max } => {
            say!(lang, "一个订单最多 {max} 行", "An order has at most {max} lines", max = max)
        }
        LineQuantity { max } => {
            say!(
                lang,
                "{label}：数量请填写 1 至 {max} 之间的整数",
                "{label}: give a whole quantity from 1 to {max}",
                label = label,
                max = grouped(*max)
            )
        }
        DuplicateProduct => say!(lang, "{label}：同一商品只能占一行", "{label}: this product is already on another line", label = label),
        DeliveryRegion => say!(lang, "请选择{label}", "{label}: choose the delivery region", label = label),
        DeliveryTooCoarse => {
            say!(lang, "{label}请至少选到区县", "{label}: choose at least the county, not only the province or prefecture", label = label)
        }
        Phone => say!(lang, "{label}请填写数字", "{label}: give a phone number of digits", label = label),
        NoPrice => say!(lang, "{label}：该商品还没有价格", "{label}: this product has no price", label = label),
        NotOnSale => say!(lang, "{label}：该商品已下架", "{label}: no longer on sale", label = label),
        OrderTotal { max_yuan } => say!(
            lang,
            "一个订单金额最多 ¥{max}，请分成几个订单",
            "An order may come to at most ¥{max}; split it into several orders",
            max = grouped(*max_yuan)
        ),
        OverStock { product, available, ordered } => say!(
            lang,
            "{product}：库存仅 {available}，订购 {ordered}",
            "{product}: only {available} available, {ordered} ordered",
            product = product,
            available = available,
            ordered = ordered
        ),
        HoldCap { product, unit, percent, cap, held, .. } => {
            fill(lang.t().hold_limit, &[("product", product), ("percent", percent), ("cap", cap), ("held", held), ("unit", unit)])
        }
        CardsUnavailable => lang.t().stripe_unavailable.to_owned(),
        KeyReused { .. } => say!(
            lang,
            "这份表单已用不同的内容提交过，请刷新页面后重试",
            "This form was sent before with other content; reload the page and try again"
        ),
        BankReference { max } => say!(
            lang,
            "请填写{label}（1–{max} 个字）",
            "{label}: give the bank transfer's reference (1 to {max} characters)",
            label = label,
            max = max
        ),
        NoRefundLine => say!(lang, "请至少选择一行退款", "Refund at least one line"),
        LineTwice => say!(lang, "{label}：这一行已在本次退款中", "{label}: this line is already in the refund", label = label),
        NoSuchLine => say!(lang, "{label}：订单中没有这一行", "{label}: no such line in this order", label = label),
        RefundQuantity { left, ordered, refunded } => say!(
            lang,
            "{label}：退款数量请填写 1 至 {left}（订购 {ordered}，已退 {refunded}）",
            "{label}: give 1 to {left} (ordered {ordered}, refunded {refunded})",
            label = label,
            left = left,
            ordered = ordered,
            refunded = refunded
        ),
        RefundReason { max } => {
            say!(lang, "请填写{label}（1–{max} 个字）", "{label}: say why, in 1 to {max} characters", label = label, max = max)
        }
        TooManyRatings { max } => {
            say!(lang, "每个合作社只评价一次（最多 {max} 个）", "Rate each cooperative of the order once (at most {max})", max = max)
        }
        NotASeller => {
            say!(lang, "{label}：该合作社未在本订单中供货", "{label}: this cooperative sold nothing in this order", label = label)
        }
        RatedTwice => say!(lang, "{label}：该合作社已经评价过", "{label}: this cooperative is already rated above", label = label),
        Stars => say!(lang, "{label}请选 1 至 5 星", "{label}: give 1 to 5 stars", label = label),
        Unrated { .. } => say!(lang, "请为订单中的每个合作社评分", "Rate every cooperative of the order"),
        CreditTerms { max } => say!(
            lang,
            "账期须为 1 至 {max} 天的整数；不设账期（先付款后发货）请留空",
            "Credit terms are a whole number of days from 1 to {max}; leave empty for payment before dispatch",
            max = max
        ),
        EmailTooLong { .. } | PasswordTooLong { .. } => lang.t().credentials_too_long.to_owned(),
        WholeNumber => say!(lang, "{label}请填写 0 或正整数", "{label}: give a whole number of 0 or more", label = label),
        Bool => say!(lang, "{label}：请填写“是”或“否”", "{label}: give true or false", label = label),
        Certified => say!(lang, "{label}：没有这种认证", "{label}: no such certificate kind", label = label),
        NoSuchPartner => say!(lang, "没有这个对口帮扶城市", "No such partner city"),
        LevelBelowParent => {
            say!(lang, "请选择比上级地区低的层级（村以下没有更低的层级）", "Choose a level below the parent region (a village has none)")
        }
        NoSuchCooperative => say!(lang, "没有这个合作社", "No such cooperative"),
        PeriodOrder => say!(lang, "结束日期早于开始日期", "The end of the period comes before its start"),
        PeriodTooLong { years } => say!(lang, "时间段最长 {years} 年", "Give a period of at most {years} years", years = years),
        Year { from, to } => say!(lang, "年份须在 {from} 至 {to} 之间", "Give a year from {from} to {to}", from = from, to = to),
        PageNumber => say!(lang, "页码从 1 开始", "Pages are numbered from 1"),
        PerPage { max } => say!(lang, "每页 1 至 {max} 条", "Give 1 to {max} items per page", max = max),
        VisitDate { from } => say!(
            lang,
            "{label}请按“年-月-日”填写走访当天的日期（{from} 年以后，不晚于今天，北京时间）",
            "{label}: give the day of the visit as YYYY-MM-DD, from {from} up to today (China time)",
            label = label,
            from = from
        ),
        OtherIncome { max_yuan } => say!(
            lang,
            "{label}请填写全年其他收入，0 至 {max} 元",
            "{label}: give the year's other income, from 0 to {max} yuan",
            label = label,
            max = grouped(*max_yuan)
        ),
        UnknownRiskFactor { text } => say!(
            lang,
            "{label}：{text} 不是风险因素，请填写因病、因学、因残、因灾、因失业、因婚变或因意外",
            "{label}: {text} is not a risk factor; give illness, schooling, disability, disaster, unemployment, marriage or accident",
            label = label,
            text = text
        ),
        UnknownCheck { text } => say!(
            lang,
            "{label}：{text} 不是“两不愁三保障”的检查项，请填写吃、穿、义务教育、医疗、住房或饮水",
            "{label}: {text} is not a check; give food, clothing, schooling, medical, housing or water",
            label = label,
            text = text
        ),
        TooManyRiskFactors { max } => {
            say!(
                lang,
                "{label}：风险因素最多 {max} 项，每项只填一次",
                "{label}: at most {max} risk factors, each once",
                label = label,
                max = max
            )
        }
        NotInYourRegion { text } => say!(
            lang,
            "{label}：{text} 不是您辖区内的农户",
            "{label}: {text} is not a household of your region",
            label = label,
            text = text
        ),
        VisitTwice { first_row } => say!(
            lang,
            "{label}：该农户同一天的走访已在第 {first_row} 行",
            "{label}: this household's visit on this day is in row {first_row} already",
            label = label,
            first_row = first_row
        ),
        PeriodInOneYear => say!(
            lang,
            "起止日期须在同一年内（如填写了年份，须在该年内）",
            "Give a start and an end within one calendar year (the year given, if any)"
        ),
        // ---- imports by name (issue 14 §2, h-money) ----
        UnknownProduct { text } => say!(
            lang,
            "{label}：本合作社没有产品 {text}，请填写产品名称或导入页列出的产品编号",
            "{label}: this cooperative has no product {text}; give the product's name or the number listed on the import page",
            label = label,
            text = text
        ),
        AmbiguousProduct { text, n } => say!(
            lang,
            "{label}：本合作社有 {n} 个产品都叫 {text}，请改填导入页列出的产品编号",
            "{label}: {n} of this cooperative's products are called {text}; give the number listed on the import page instead",
            label = label,
            text = text,
            n = n
        ),
        UnknownNode { text } => say!(
            lang,
            "{label}：没有站点 {text}，请填写导入页列出的站点名称",
            "{label}: there is no node {text}; give one of the nodes listed on the import page",
            label = label,
            text = text
        ),
    }
}

/// The words for a file over the import budget.
pub fn over_budget(lang: Lang, over: &OverBudget) -> String {
    use OverBudget as O;
    const MB: u64 = 1024 * 1024;
    let t = lang.t();
    match *over {
        O::Upload { max } => fill(t.import_over_upload, &[("max", &(max as u64 / MB))]),
        O::Entries { max } => fill(t.import_over_entries, &[("max", &max)]),
        O::Uncompressed { max } => fill(t.import_over_unpacked, &[("max", &(max / MB))]),
        O::Dimension { rows, columns, max_rows, max_columns } => {
            fill(t.import_over_dimension, &[("rows", &rows), ("columns", &columns), ("max_rows", &max_rows), ("max_columns", &max_columns)])
        }
        O::Rows { max } => fill(t.import_over_rows, &[("max", &max)]),
        O::RowCells { row, max } => fill(t.import_over_row_cells, &[("row", &row), ("max", &max)]),
        O::Cells { max_cells, max_bytes } => fill(t.import_over_cells, &[("max", &max_cells), ("mb", &(max_bytes as u64 / MB))]),
        O::CellText { row, max } => fill(t.import_over_cell_text, &[("row", &row), ("max", &max)]),
        O::Time { secs } => fill(t.import_over_time, &[("max", &secs)]),
    }
}

/// A region level's name (`village` → 村).
fn region_level(lang: Lang, level: &str) -> &'static str {
    match level {
        "province" => lang.pick("省", "province"),
        "prefecture" => lang.pick("地区", "prefecture"),
        "county" => lang.pick("县", "county"),
        "township" => lang.pick("乡镇", "township"),
        _ => lang.pick("村", "village"),
    }
}

/// The human label of a field path as the domain names it
/// (`delivery.address` → 详细地址; `contributions[1].quantity` → 第 2 户的供货数量).
/// A path this table does not know is shown as it is.
pub fn label(lang: Lang, field: &str) -> String {
    let t = lang.t();
    // `lines[3].quantity` → ("lines", Some(3), "quantity")
    let (head, index, tail) = match field.split_once('[') {
        Some((head, rest)) => {
            let (n, tail) = rest.split_once(']').unwrap_or((rest, ""));
            (head, n.parse::<usize>().ok(), tail.trim_start_matches('.'))
        }
        None => (field, None, ""),
    };
    if let Some(i) = index {
        let n = i + 1;
        return match (head, tail) {
            ("price_tiers", "min_quantity") => say!(lang, "第 {n} 档的起订量", "Tier {n}: from", n = n),
            ("price_tiers", _) => say!(lang, "第 {n} 档的单价", "Tier {n}: unit price", n = n),
            ("certificates", "kind") => say!(lang, "第 {n} 项认证的类别", "Certificate {n}: kind", n = n),
            ("certificates", "number") => say!(lang, "第 {n} 项认证的证书编号", "Certificate {n}: number", n = n),
            ("certificates", _) => say!(lang, "第 {n} 项认证的有效期", "Certificate {n}: valid until", n = n),
            ("contributions", "quantity") => say!(lang, "第 {n} 户的供货数量", "Household {n}: quantity", n = n),
            ("contributions", _) => say!(lang, "第 {n} 户供货农户", "Household {n}", n = n),
            ("ratings", _) => say!(lang, "第 {n} 个评价", "Rating {n}", n = n),
            ("risk_factors", _) => say!(lang, "第 {n} 项风险因素", "Risk factor {n}", n = n),
            _ => say!(lang, "第 {n} 行", "Line {n}", n = n),
        };
    }
    if let Some(row) = field.strip_prefix("row ") {
        return say!(lang, "第 {row} 行", "Row {row}", row = row);
    }
    match field {
        "name" => t.pf_name,
        "name_en" => t.pf_name_en,
        "description" => t.pf_description,
        "category" => t.facet_category,
        "unit" => t.pf_unit,
        "spec" => t.spec,
        "unit_weight_g" => t.unit_weight,
        "storage" => t.storage,
        "price_tiers" => t.price_tiers,
        "certificates" | "certified" => t.certificates,
        "origin_code" => t.origin,
        "email" => t.email,
        "password" => t.password,
        "reason" => t.console_reason,
        "lines" => lang.pick("订单", "Order"),
        "ratings" => lang.pick("评价", "Ratings"),
        "delivery.region_code" => t.delivery_region,
        "delivery.address" => t.address,
        "delivery.contact_name" => t.contact_name,
        "delivery.phone" => t.phone,
        "payment_method" => t.payment_method,
        "note" => t.note,
        "village_code" => lang.pick("所在村", "Village"),
        "size" => t.console_size,
        "status" => t.console_status,
        "register_number" => lang.pick("建档立卡编号", "Register number"),
        "head_name" => lang.pick("户主姓名", "Head of household"),
        "quantity" => t.console_quantity,
        "contributions" => t.console_contribution,
        "harvested_on" => t.console_harvested,
        "expires_on" => t.console_expires,
        "node_id" => t.console_node,
        "delta" => t.console_delta,
        "file" => t.import_file,
        "q" => lang.pick("关键词", "Search words"),
        "prefecture" => t.facet_prefecture,
        "county" => t.facet_county,
        "sort" => t.sort_label,
        "price_min_fen" => lang.pick("最低价", "Lowest price"),
        "price_max_fen" => lang.pick("最高价", "Highest price"),
        "in_stock" => t.in_stock_only,
        "partner" => lang.pick("对口帮扶城市", "Partner city"),
        "page" => lang.pick("页码", "Page"),
        "per_page" => lang.pick("每页条数", "Items per page"),
        "year" => lang.pick("年份", "Year"),
        "reference" => t.reference,
        "from" => t.reports_from,
        "to" => t.reports_to,
        "parent" => t.reports_region,
        "visited_on" => t.mon_visited_on,
        "other_income_fen" | "other_income_yuan" => t.mon_other_income,
        "risk_factors" => t.mon_risk_factors,
        "checks" | "failed_checks" => t.mon_checks,
        "household_code" => t.mon_household_code,
        "region" => t.mon_region,
        _ => return field.to_owned(),
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_as_one_chinese_sentence_with_the_fields_label() {
        let e = FieldError { field: "delivery.address".into(), problem: Problem::Length { min: 1, max: 200 } };
        assert_eq!(field_error(Lang::Zh, &e), "请填写详细地址（1–200 个字）");
        assert_eq!(field_error(Lang::En, &e), "Street address: give 1 to 200 characters");
        let short = Problem::OverStock { product: "类乌齐牦牛肉".into(), available: 270, ordered: 5050 };
        assert_eq!(problem(Lang::Zh, "第 1 行", &short), "类乌齐牦牛肉：库存仅 270，订购 5050");
        assert_eq!(label(Lang::Zh, "contributions[1].quantity"), "第 2 户的供货数量");
        assert_eq!(label(Lang::En, "price_tiers[0].unit_price_fen"), "Tier 1: unit price");
    }
}
