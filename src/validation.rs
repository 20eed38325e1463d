//! Field-level validation errors, collected rather than stopping at the
//! first, so a form or API client can fix everything in one go.
//!
//! A problem is a code and its values ([`Problem`]), not a sentence: the
//! JSON API renders it in English (its `message`, unchanged since the API
//! was first written, plus the `code`), and the pages render it in the
//! viewer's language with the field's human label (`web::words::problem`).
//! The domain therefore never decides which language a person reads.

use crate::bounds::grouped;
use serde::Serialize;
use serde::ser::SerializeStruct;

/// What is wrong with one field: a code (see [`Problem::code`]) and the
/// values a sentence about it needs. `Display` is the English of the JSON
/// API; pages have their own words for each code in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    // ---- general ----
    /// Text of at most `max` characters.
    TooLong {
        /// The limit.
        max: i64,
    },
    /// Required text of `min` to `max` characters.
    Length {
        /// The least.
        min: i64,
        /// The most.
        max: i64,
    },
    /// Not a date written YYYY-MM-DD.
    Date,
    /// A date outside the years `from`..=`to`.
    DateBetween {
        /// First year.
        from: i64,
        /// Last year.
        to: i64,
    },
    /// Not one of a list ("must be one of a, b, c").
    OneOf(Vec<String>),
    /// Not one of a few ("must be a, b or c").
    Choice(&'static [&'static str]),
    /// Control characters or text-direction overrides, which cannot be stored.
    ForbiddenChars,
    /// Text that must be written in Latin letters (an English name) holds
    /// Chinese characters.
    LatinText,
    /// The count of problems past the listed ones.
    More {
        /// Problems not listed.
        n: usize,
    },
    /// Several problems of one row of an imported file (in English joined
    /// by "; ").
    Several(Vec<Problem>),
    /// A text the edge could not read at all (a JSON body's parse error);
    /// only the API shows it, in the parser's own words.
    Unreadable(String),

    // ---- distribution ----
    /// A scan's time that is not RFC 3339, lies in the future, or is older
    /// than `max_age_days`.
    ScanTime {
        /// How old a queued scan may be.
        max_age_days: i64,
    },
    /// A scan out of order or repeated: the shipment is in state `current`.
    ShipmentState {
        /// The shipment's state (open, closed, dispatched, received, delivered).
        current: &'static str,
    },
    /// A scan at a node where this shipment is not `event`.
    ScanNode {
        /// dispatched, received or delivered.
        event: &'static str,
    },
    /// `delivered` for a shipment to a node, or `received` for one to a buyer.
    ScanEvent {
        /// Where the shipment goes: "node" or "buyer".
        to: &'static str,
    },
    /// A weight per unit outside 1..=`max` grams.
    UnitWeight {
        /// The most, in grams.
        max: i64,
    },

    // ---- regions ----
    /// Not a region code.
    RegionCode {
        /// The text given.
        text: String,
    },
    /// A region code of another level than asked for.
    RegionOfLevel {
        /// The level asked for (`county`, `village` …).
        level: &'static str,
    },
    /// A region code that is not in the region table.
    NoSuchRegion,
    /// No such village in the region table.
    NoSuchVillage,
    /// A code that is not a village's.
    NotAVillage,
    /// A village outside the cooperative's county (`origin`: a product's
    /// origin; otherwise a household's village).
    OutsideCounty {
        /// True for a product's origin.
        origin: bool,
    },

    // ---- catalogue ----
    /// A product's name of 1 to `max` characters.
    ProductName {
        /// The limit.
        max: i64,
    },
    /// The cooperative lists a product of this name already.
    DuplicateProductName,
    /// The selling unit, at most `max` characters.
    SellingUnit {
        /// The limit.
        max: i64,
    },
    /// No price tier given.
    NoPriceTier,
    /// Too many price tiers.
    TooManyPriceTiers {
        /// The limit.
        max: i64,
    },
    /// The first tier does not start at 1.
    FirstTierFromOne,
    /// A unit price outside 1 fen ..= `max_yuan`.
    UnitPrice {
        /// The limit, in yuan.
        max_yuan: i64,
    },
    /// A tier's start outside 1..=`max`.
    TierStart {
        /// The limit.
        max: i64,
    },
    /// Tiers must go up in quantity.
    TiersAscend,
    /// A larger quantity must have a lower unit price.
    TierPriceDescends,
    /// Too many certificates.
    TooManyCertificates {
        /// The limit.
        max: i64,
    },
    /// A certificate number of 1 to `max` characters.
    CertificateNumber {
        /// The limit.
        max: i64,
    },
    /// No such category (search filter).
    NoSuchCategory,

    // ---- households ----
    /// A household of 1 to 30 people.
    HouseholdSize,
    /// A register number: letters, digits and '-', at most 40.
    RegisterNumber,
    /// A household with this register number exists.
    DuplicateRegisterNumber,

    // ---- stock ----
    /// A lot of 1 to `max` units.
    LotQuantity {
        /// The limit.
        max: i64,
    },
    /// Units of a contribution outside 1..=`max`.
    Units {
        /// The limit.
        max: i64,
    },
    /// Too many contributing households.
    TooManyContributions {
        /// The limit.
        max: i64,
    },
    /// No contributing household named.
    NoContributions,
    /// A household named twice.
    HouseholdTwice,
    /// Not a member household of the cooperative.
    NotAMember,
    /// Contributions that do not add up to the lot.
    ContributionsSum {
        /// What they add up to.
        sum: i64,
        /// The lot's quantity.
        lot: i64,
    },
    /// Expiry before harvest.
    ExpiresBeforeHarvest,
    /// No such node.
    NoSuchNode,
    /// A node off the cooperative's chain.
    NodeOffChain,
    /// A harvest in the future.
    HarvestInFuture,
    /// A harvest older than `days`.
    HarvestTooOld {
        /// The limit.
        days: i64,
    },
    /// Expiry more than `years` after harvest.
    ShelfLife {
        /// The limit.
        years: i64,
    },
    /// An adjustment of 0.
    ZeroChange,
    /// An adjustment larger than `max`.
    AdjustmentTooLarge {
        /// The limit.
        max: i64,
    },
    /// A lot would hold more than `max`.
    LotFull {
        /// The limit.
        max: i64,
        /// What it holds now.
        quantity: i64,
    },
    /// An adjustment below what orders hold.
    BelowAllocated {
        /// The lot.
        lot: i64,
        /// Held by orders.
        allocated: i64,
        /// Free.
        available: i64,
    },
    /// A file over the import budget.
    OverBudget(OverBudget),
    /// An import file without a needed column.
    MissingColumn {
        /// The column.
        column: String,
        /// The columns a file must have.
        expected: &'static [&'static str],
    },
    /// An import cell that is not a whole number.
    NotWholeNumber {
        /// The column.
        column: String,
        /// The cell, quoted and cut.
        text: String,
    },
    /// An import cell that is not a date.
    NotADate {
        /// The column.
        column: String,
        /// The cell, quoted and cut.
        text: String,
    },
    /// An import row without a lot reference.
    NoLotReference,
    /// An import row's household code is no member's.
    NotAMemberCode {
        /// The code, quoted and cut.
        text: String,
    },
    /// Rows of one imported lot that disagree.
    LotRowsDiffer {
        /// The lot's reference in the file.
        lot: String,
        /// Its first row.
        first_row: usize,
    },
    /// A problem of an imported lot as a whole.
    InLot {
        /// The lot's reference in the file.
        lot: String,
        /// Its rows, "2, 3".
        rows: String,
        /// The field of the lot.
        field: String,
        /// The problem.
        problem: Box<Problem>,
    },
    /// An imported lot of another cooperative's product.
    ForeignProduct {
        /// The lot's reference in the file.
        lot: String,
        /// The product id given.
        product: i64,
    },
    /// Rows with problems past the listed ones.
    MoreRows {
        /// Rows not listed.
        n: usize,
        /// Problems listed.
        max: usize,
    },

    // ---- orders ----
    /// An order without lines.
    NoLines,
    /// Too many lines in an order.
    TooManyLines {
        /// The limit.
        max: i64,
    },
    /// A line quantity outside 1..=`max`.
    LineQuantity {
        /// The limit.
        max: i64,
    },
    /// A product on two lines.
    DuplicateProduct,
    /// The delivery region is not a region code.
    DeliveryRegion,
    /// The delivery region is a province or prefecture.
    DeliveryTooCoarse,
    /// A phone number that is not digits.
    Phone,
    /// A product without a price.
    NoPrice,
    /// A product not (or no longer) on sale.
    NotOnSale,
    /// An order total above `max_yuan`.
    OrderTotal {
        /// The limit, in yuan.
        max_yuan: i64,
    },
    /// Not enough stock for a line.
    OverStock {
        /// The product's name.
        product: String,
        /// Units available.
        available: i64,
        /// Units ordered.
        ordered: i64,
    },
    /// A line that would take the buyer's unpaid holds above the cap.
    HoldCap {
        /// The product's name.
        product: String,
        /// Its unit.
        unit: String,
        /// The cap, percent of what is on offer.
        percent: i64,
        /// The cap, in units.
        cap: i64,
        /// Units on offer.
        on_offer: i64,
        /// Units the buyer holds unpaid.
        held: i64,
        /// Units the buyer may still order.
        left: i64,
    },
    /// Online payment is not configured.
    CardsUnavailable,
    /// An Idempotency-Key reused with another body (`body`) or request.
    KeyReused {
        /// True when the body differed.
        body: bool,
    },
    /// A bank transfer's reference of 1 to `max` characters.
    BankReference {
        /// The limit.
        max: i64,
    },
    /// A refund without lines.
    NoRefundLine,
    /// A line twice in one refund.
    LineTwice,
    /// No such line in the order.
    NoSuchLine,
    /// A refund quantity outside 1..=`left`.
    RefundQuantity {
        /// Units left to refund.
        left: i64,
        /// Units ordered.
        ordered: i64,
        /// Units refunded before.
        refunded: i64,
    },
    /// A refund's reason of 1 to `max` characters.
    RefundReason {
        /// The limit.
        max: i64,
    },
    /// A refund naming more lines than an order has.
    RefundTooManyLines {
        /// The limit.
        max: i64,
    },
    /// More ratings than an order can have.
    TooManyRatings {
        /// The limit.
        max: i64,
    },
    /// A rating of a cooperative that sold nothing in the order.
    NotASeller,
    /// A cooperative rated twice.
    RatedTwice,
    /// Stars outside 1..=5.
    Stars,
    /// A cooperative of the order left unrated.
    Unrated {
        /// The cooperative's id.
        cooperative: i64,
    },
    /// Credit terms (账期) that are neither `null` nor a whole number of
    /// days from 1 to `max`.
    CreditTerms {
        /// The longest terms, in days.
        max: i64,
    },

    // ---- sign-in ----
    /// An e-mail address longer than `max` characters.
    EmailTooLong {
        /// The limit.
        max: i64,
    },
    /// A password longer than `max` bytes.
    PasswordTooLong {
        /// The limit.
        max: i64,
    },

    // ---- query parameters of the API ----
    /// Not a whole number of 0 or more.
    WholeNumber,
    /// Not `true` or `false`.
    Bool,
    /// Not `true` or a certificate kind.
    Certified,
    /// No such partner city.
    NoSuchPartner,
    /// A report's level that does not lie below its parent region.
    LevelBelowParent,
    /// No such cooperative.
    NoSuchCooperative,
    /// A period whose end comes before its start.
    PeriodOrder,
    /// A period longer than `years` years.
    PeriodTooLong {
        /// The most.
        years: i64,
    },
    /// A year outside `from`..=`to`.
    Year {
        /// First year.
        from: i64,
        /// Last year.
        to: i64,
    },
    /// A page number below 1 (or absurdly high).
    PageNumber,
    /// Items per page outside 1..=`max`.
    PerPage {
        /// The limit.
        max: i64,
    },

    // ---- monitoring ----
    /// A visit's date that is not a real date from `from` (a year) up to
    /// today in China.
    VisitDate {
        /// The first year.
        from: i64,
    },
    /// Declared other income outside 0..=`max_yuan` yuan.
    OtherIncome {
        /// The limit, in yuan.
        max_yuan: i64,
    },
    /// A risk factor that is none of the seven.
    UnknownRiskFactor {
        /// The text given, quoted and cut.
        text: String,
    },
    /// A 两不愁三保障 check that is none of the six.
    UnknownCheck {
        /// The text given, quoted and cut.
        text: String,
    },
    /// More risk factors than there are.
    TooManyRiskFactors {
        /// The limit.
        max: i64,
    },
    /// A household code that is no household of the official's region
    /// (unknown codes are answered alike, so codes cannot be probed).
    NotInYourRegion {
        /// The code, quoted and cut.
        text: String,
    },
    /// A household visited twice in one file on one day.
    VisitTwice {
        /// Its first row.
        first_row: usize,
    },
    // ---- reports (issue 13: pledges) ----
    /// A pledge report's `from` and `to` in different years, or not in
    /// the `year` given beside them (a pledge is a year's).
    PeriodInOneYear,
    // ---- imports by name (issue 14 §2, h-money) ----
    /// An import row's product is none of the cooperative's, by name or
    /// by the number the import page lists.
    UnknownProduct {
        /// The cell, quoted and cut.
        text: String,
    },
    /// An import row names a product that several of the cooperative's
    /// products are called.
    AmbiguousProduct {
        /// The cell, quoted and cut.
        text: String,
        /// How many products have that name.
        n: usize,
    },
    /// An import row's node is no node's name or number.
    UnknownNode {
        /// The cell, quoted and cut.
        text: String,
    },
}

impl Problem {
    /// The stable code of the problem, the `code` member of the API's
    /// error objects.
    pub fn code(&self) -> &'static str {
        use Problem::*;
        match self {
            TooLong { .. } => "too_long",
            Length { .. } => "length",
            Date => "date",
            DateBetween { .. } => "date_between",
            ScanTime { .. } => "scan_time",
            ShipmentState { .. } => "shipment_state",
            ScanNode { .. } => "scan_node",
            ScanEvent { .. } => "scan_event",
            UnitWeight { .. } => "unit_weight",
            OneOf(_) | Choice(_) => "one_of",
            ForbiddenChars => "forbidden_chars",
            LatinText => "latin_text",
            More { .. } => "more",
            Several(_) => "several",
            Unreadable(_) => "unreadable",
            RegionCode { .. } => "region_code",
            RegionOfLevel { .. } => "region_of_level",
            NoSuchRegion => "no_such_region",
            NoSuchVillage => "no_such_village",
            NotAVillage => "not_a_village",
            OutsideCounty { .. } => "outside_county",
            ProductName { .. } => "product_name",
            DuplicateProductName => "duplicate_product_name",
            SellingUnit { .. } => "selling_unit",
            NoPriceTier => "no_price_tier",
            TooManyPriceTiers { .. } => "too_many_price_tiers",
            FirstTierFromOne => "first_tier_from_one",
            UnitPrice { .. } => "unit_price",
            TierStart { .. } => "tier_start",
            TiersAscend => "tiers_ascend",
            TierPriceDescends => "tier_price_descends",
            TooManyCertificates { .. } => "too_many_certificates",
            CertificateNumber { .. } => "certificate_number",
            NoSuchCategory => "no_such_category",
            HouseholdSize => "household_size",
            RegisterNumber => "register_number",
            DuplicateRegisterNumber => "duplicate_register_number",
            LotQuantity { .. } => "lot_quantity",
            Units { .. } => "units",
            TooManyContributions { .. } => "too_many_contributions",
            NoContributions => "no_contributions",
            HouseholdTwice => "household_twice",
            NotAMember => "not_a_member",
            ContributionsSum { .. } => "contributions_sum",
            ExpiresBeforeHarvest => "expires_before_harvest",
            NoSuchNode => "no_such_node",
            NodeOffChain => "node_off_chain",
            HarvestInFuture => "harvest_in_future",
            HarvestTooOld { .. } => "harvest_too_old",
            ShelfLife { .. } => "shelf_life",
            ZeroChange => "zero_change",
            AdjustmentTooLarge { .. } => "adjustment_too_large",
            LotFull { .. } => "lot_full",
            BelowAllocated { .. } => "below_allocated",
            OverBudget(_) => "over_budget",
            MissingColumn { .. } => "missing_column",
            NotWholeNumber { .. } => "not_whole_number",
            NotADate { .. } => "not_a_date",
            NotAMemberCode { .. } => "not_a_member",
            NoLotReference => "no_lot_reference",
            LotRowsDiffer { .. } => "lot_rows_differ",
            InLot { .. } => "in_lot",
            ForeignProduct { .. } => "foreign_product",
            MoreRows { .. } => "more_rows",
            NoLines => "no_lines",
            TooManyLines { .. } => "too_many_lines",
            LineQuantity { .. } => "line_quantity",
            DuplicateProduct => "duplicate_product",
            DeliveryRegion => "delivery_region",
            DeliveryTooCoarse => "delivery_too_coarse",
            Phone => "phone",
            NoPrice => "no_price",
            NotOnSale => "not_on_sale",
            OrderTotal { .. } => "order_total",
            OverStock { .. } => "over_stock",
            HoldCap { .. } => "hold_cap",
            CardsUnavailable => "cards_unavailable",
            KeyReused { .. } => "key_reused",
            BankReference { .. } => "bank_reference",
            NoRefundLine => "no_refund_line",
            LineTwice => "line_twice",
            NoSuchLine => "no_such_line",
            RefundQuantity { .. } => "refund_quantity",
            RefundReason { .. } => "refund_reason",
            RefundTooManyLines { .. } => "too_many_lines",
            TooManyRatings { .. } => "too_many_ratings",
            NotASeller => "not_a_seller",
            RatedTwice => "rated_twice",
            Stars => "stars",
            Unrated { .. } => "unrated",
            CreditTerms { .. } => "credit_terms",
            EmailTooLong { .. } => "email_too_long",
            PasswordTooLong { .. } => "password_too_long",
            WholeNumber => "whole_number",
            Bool => "bool",
            Certified => "certified",
            NoSuchPartner => "no_such_partner",
            LevelBelowParent => "level_below_parent",
            NoSuchCooperative => "no_such_cooperative",
            PeriodOrder => "period_order",
            PeriodTooLong { .. } => "period_too_long",
            Year { .. } => "year",
            PageNumber => "page_number",
            PerPage { .. } => "per_page",
            VisitDate { .. } => "visit_date",
            OtherIncome { .. } => "other_income",
            UnknownRiskFactor { .. } => "unknown_risk_factor",
            UnknownCheck { .. } => "unknown_check",
            TooManyRiskFactors { .. } => "too_many_risk_factors",
            NotInYourRegion { .. } => "not_in_your_region",
            VisitTwice { .. } => "visit_twice",
            PeriodInOneYear => "period_in_one_year",
            UnknownProduct { .. } => "unknown_product",
            AmbiguousProduct { .. } => "ambiguous_product",
            UnknownNode { .. } => "unknown_node",
        }
    }
}

/// "a, b or c"
fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The English of the JSON API (its `message`); the API's texts from
/// before problems had codes, word for word.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Problem::*;
        match self {
            TooLong { max } => write!(f, "at most {} characters", grouped(*max)),
            Length { min, max } => write!(f, "give {min} to {max} characters"),
            Date => f.write_str("give a date as YYYY-MM-DD"),
            DateBetween { from, to } => write!(f, "give a date between {from} and {to}"),
            ScanTime { max_age_days } => {
                write!(f, "give the time of the scan as RFC 3339, not in the future and at most {max_age_days} days ago")
            }
            UnitWeight { max } => write!(f, "give the weight of one unit in grams, 1 to {max}"),
            ShipmentState { current } => write!(f, "the shipment is {current}"),
            ScanNode { event } => write!(f, "this shipment is not {event} at this node"),
            ScanEvent { to } => write!(f, "a shipment to a {to} is not scanned so"),
            OneOf(items) => write!(f, "must be one of {}", items.join(", ")),
            Choice(items) => write!(f, "must be {}", or_list(items)),
            ForbiddenChars => {
                f.write_str("remove the control characters (such as U+0000) or text-direction overrides; they cannot be stored")
            }
            LatinText => f.write_str("write it in Latin letters, without Chinese characters"),
            More { n: 1 } => f.write_str("1 more problem not listed"),
            More { n } => write!(f, "{n} more problems not listed"),
            Several(all) => {
                for (i, p) in all.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
            Unreadable(text) => f.write_str(text),
            // The words of `regions::InvalidRegionCode`, which the API
            // has always answered with.
            RegionCode { text } => write!(
                f,
                "{text:?} is not a region code: give the 12-digit statistical division code (shorter codes are padded with zeros)"
            ),
            RegionOfLevel { level } => write!(f, "give the code of a {level}"),
            NoSuchRegion => f.write_str("no such region"),
            NoSuchVillage => f.write_str("no such village"),
            NotAVillage => f.write_str("the origin must be a village"),
            OutsideCounty { origin: true } => f.write_str("the origin must be a village of the cooperative's county"),
            OutsideCounty { origin: false } => f.write_str("the village must lie in the cooperative's county"),
            ProductName { max } => write!(f, "give a name of 1 to {max} characters"),
            DuplicateProductName => f.write_str("this cooperative already lists a product of this name"),
            SellingUnit { max } => write!(f, "give the selling unit (e.g. kg, 箱, 袋) in at most {max} characters"),
            NoPriceTier => f.write_str("give at least one price tier"),
            TooManyPriceTiers { max } => write!(f, "give at most {max} price tiers"),
            FirstTierFromOne => f.write_str("the first tier must start at quantity 1"),
            UnitPrice { max_yuan } => write!(f, "a unit price is from 1 fen to ¥{}", grouped(*max_yuan)),
            TierStart { max } => write!(f, "a tier starts at 1 to {} units", grouped(*max)),
            TiersAscend => f.write_str("tiers must go up in quantity"),
            TierPriceDescends => f.write_str("a larger quantity must have a lower unit price"),
            TooManyCertificates { max } => write!(f, "give at most {max} certificates"),
            CertificateNumber { max } => write!(f, "give the certificate number (at most {max} characters)"),
            NoSuchCategory => f.write_str("no such category"),
            HouseholdSize => f.write_str("a household has 1 to 30 people"),
            RegisterNumber => f.write_str("letters, digits and '-' only, at most 40"),
            DuplicateRegisterNumber => f.write_str("a household with this register number exists already"),
            LotQuantity { max } => write!(f, "a lot holds from 1 to {} units", grouped(*max)),
            Units { max } => write!(f, "give 1 to {} units", grouped(*max)),
            TooManyContributions { max } => write!(f, "a lot may name at most {} households", grouped(*max)),
            NoContributions => f.write_str("name the member households that supplied the lot"),
            HouseholdTwice => f.write_str("this household is listed twice"),
            NotAMember => f.write_str("not a member household of this cooperative"),
            ContributionsSum { sum, lot } => write!(f, "contributions add up to {sum}, but the lot holds {lot}"),
            ExpiresBeforeHarvest => f.write_str("a lot cannot expire before it is harvested"),
            NoSuchNode => f.write_str("no such node"),
            NodeOffChain => f.write_str(
                "choose a node on your village's chain: its collection point, township sorting centre, county distribution centre \
                 or prefecture hub",
            ),
            HarvestInFuture => f.write_str("a harvest cannot be dated in the future"),
            HarvestTooOld { days } => write!(f, "give a harvest date within the last {days} days"),
            ShelfLife { years } => write!(f, "a lot may expire at most {years} years after its harvest"),
            ZeroChange => f.write_str("a change of 0 changes nothing"),
            AdjustmentTooLarge { max } => write!(f, "change a lot by at most {} units at a time", grouped(*max)),
            LotFull { max, quantity } => write!(f, "a lot holds at most {} units; it holds {quantity} now", grouped(*max)),
            BelowAllocated { lot, allocated, available } => {
                write!(f, "only {available} units are free in lot {lot}: {allocated} are held by orders")
            }
            OverBudget(o) => write!(f, "{o}"),
            MissingColumn { column, expected } => write!(f, "missing column {column:?}; the header must name {}", expected.join(", ")),
            NotWholeNumber { column, text } => write!(f, "{column} must be a whole number, not {text}"),
            NotADate { column, text } => write!(f, "{column} must be a date as YYYY-MM-DD, not {text}"),
            NoLotReference => f.write_str("lot must name the lot this row belongs to"),
            NotAMemberCode { text } => write!(f, "{text} is not a member household of this cooperative"),
            LotRowsDiffer { lot, first_row } => {
                write!(f, "lot {lot}: product, quantity, dates and node must match row {first_row}")
            }
            InLot { lot, rows, field, problem } => write!(f, "lot {lot} (rows {rows}): {field}: {problem}"),
            ForeignProduct { lot, product } => write!(f, "lot {lot}: product {product} is not one of this cooperative's"),
            MoreRows { n, max } => write!(f, "and {n} more rows have problems (only the first {max} problems are listed)"),
            NoLines => f.write_str("order at least one product"),
            TooManyLines { max } => write!(f, "at most {max} lines per order"),
            LineQuantity { max } => write!(f, "give a whole quantity from 1 to {}", grouped(*max)),
            DuplicateProduct => f.write_str("this product is already on another line"),
            DeliveryRegion => f.write_str("give the 12-digit region code of the delivery address"),
            DeliveryTooCoarse => {
                f.write_str("give the county (or township, or village) of the delivery address, not only its province or prefecture")
            }
            Phone => f.write_str("give a phone number of digits"),
            NoPrice => f.write_str("this product has no price"),
            NotOnSale => f.write_str("no such product on sale"),
            OrderTotal { max_yuan } => {
                write!(f, "an order may come to at most ¥{}; split it into several orders", grouped(*max_yuan))
            }
            OverStock { available, ordered, .. } => write!(f, "only {available} available, {ordered} ordered"),
            HoldCap { product, unit, percent, cap, on_offer, held, left } => write!(
                f,
                "unpaid orders of one buyer may hold at most {percent}% of {product} on offer: {cap} {unit} of {on_offer} {unit}; \
                 your unpaid orders hold {held} already, so order at most {left} {unit} now, or pay or cancel your unpaid orders first",
            ),
            CardsUnavailable => f.write_str("card, Alipay and WeChat Pay are not configured on this server: pay by invoice"),
            KeyReused { body: true } => f.write_str("this key was used with a different request body"),
            KeyReused { body: false } => f.write_str("this key was used with a different request"),
            BankReference { max } => write!(f, "give the bank transfer's reference (1 to {max} characters)"),
            NoRefundLine => f.write_str("refund at least one line"),
            LineTwice => f.write_str("this line is already in the refund"),
            NoSuchLine => f.write_str("no such line in this order"),
            RefundQuantity { left, ordered, refunded } => write!(f, "give 1 to {left} (ordered {ordered}, refunded {refunded})"),
            RefundReason { max } => write!(f, "say why, in 1 to {max} characters"),
            RefundTooManyLines { max } => write!(f, "an order has at most {max} lines"),
            TooManyRatings { max } => write!(f, "rate each cooperative of the order once (at most {max})"),
            NotASeller => f.write_str("this cooperative sold nothing in this order"),
            RatedTwice => f.write_str("this cooperative is already rated above"),
            Stars => f.write_str("give 1 to 5 stars"),
            Unrated { cooperative } => write!(f, "rate every cooperative of the order (cooperative {cooperative} is missing)"),
            CreditTerms { max } => write!(f, "give a whole number of days from 1 to {max}, or null for payment before dispatch"),
            EmailTooLong { max } => write!(f, "an e-mail address has at most {max} characters"),
            PasswordTooLong { max } => write!(f, "a password has at most {max} bytes"),
            WholeNumber => f.write_str("give a whole number of 0 or more"),
            Bool => f.write_str("give true or false"),
            Certified => f.write_str("give true or a certificate kind"),
            NoSuchPartner => f.write_str("no such partner city"),
            LevelBelowParent => f.write_str("give a level below the parent region's (a village has none)"),
            NoSuchCooperative => f.write_str("no such cooperative"),
            PeriodOrder => f.write_str("the end of the period comes before its start"),
            PeriodTooLong { years } => write!(f, "give a period of at most {years} years"),
            Year { from, to } => write!(f, "give a year from {from} to {to}"),
            PageNumber => f.write_str("pages are numbered from 1"),
            PerPage { max } => write!(f, "give 1 to {max} items per page"),
            VisitDate { from } => write!(f, "give the day of the visit as YYYY-MM-DD, from {from} up to today (China time)"),
            OtherIncome { max_yuan } => write!(f, "give the other income of the year in fen, from 0 to ¥{}", grouped(*max_yuan)),
            UnknownRiskFactor { text } => {
                write!(f, "{text} is not a risk factor: give illness, schooling, disability, disaster, unemployment, marriage or accident")
            }
            UnknownCheck { text } => write!(f, "{text} is not a check: give food, clothing, schooling, medical, housing or water"),
            TooManyRiskFactors { max } => write!(f, "give at most {max} risk factors, each once"),
            NotInYourRegion { text } => write!(f, "{text} is not a household of your region"),
            VisitTwice { first_row } => write!(f, "this household's visit on this day is in row {first_row} already"),
            PeriodInOneYear => f.write_str("give from and to within one calendar year (the year given, if any)"),
            UnknownProduct { text } => {
                write!(f, "this cooperative has no product {text}; give the product's name or the number the import page lists")
            }
            AmbiguousProduct { text, n } => {
                write!(f, "{n} of this cooperative's products are called {text}; give the number the import page lists instead")
            }
            UnknownNode { text } => {
                write!(f, "there is no node {text}; give one of the nodes the import page lists")
            }
        }
    }
}

/// Which limit a file went over. The message is for API clients; the
/// console page picks its own words from the code and the values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverBudget {
    /// The file is larger than the upload limit.
    #[error("the file is larger than {max} bytes")]
    Upload {
        /// The limit.
        max: usize,
    },
    /// The XLSX archive has too many entries.
    #[error("the XLSX file has more than {max} parts")]
    Entries {
        /// The limit.
        max: usize,
    },
    /// The XLSX archive inflates (or says it inflates) to too many bytes.
    #[error("the XLSX file unpacks to more than {max} bytes")]
    Uncompressed {
        /// The limit.
        max: u64,
    },
    /// The sheet declares a range larger than the budget.
    #[error("the sheet declares {rows} rows and {columns} columns; at most {max_rows} rows and {max_columns} columns are read")]
    Dimension {
        /// Rows declared.
        rows: u64,
        /// Columns declared.
        columns: u64,
        /// Row limit.
        max_rows: usize,
        /// Column limit.
        max_columns: usize,
    },
    /// More rows than the budget.
    #[error("the file has more than {max} rows; split it into smaller files")]
    Rows {
        /// The limit.
        max: usize,
    },
    /// One row has too many cells.
    #[error("row {row} has more than {max} cells")]
    RowCells {
        /// The row, as a spreadsheet numbers it.
        row: usize,
        /// The limit.
        max: usize,
    },
    /// Too many cells, or too much text, in all.
    #[error("the file holds more than {max_cells} cells or {max_bytes} bytes of text")]
    Cells {
        /// Cell limit.
        max_cells: usize,
        /// Text limit.
        max_bytes: usize,
    },
    /// One cell holds too much text.
    #[error("a cell in row {row} holds more than {max} bytes of text")]
    CellText {
        /// The row, as a spreadsheet numbers it.
        row: usize,
        /// The limit.
        max: usize,
    },
    /// Reading took longer than the time limit.
    #[error("reading the file took longer than {secs} seconds; split it into smaller files")]
    Time {
        /// The limit.
        secs: u64,
    },
}

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, e.g. `price_tiers[1].unit_price_fen`.
    pub field: String,
    /// What is wrong, as a code and its values.
    pub problem: Problem,
}

impl FieldError {
    /// What is wrong, in the API's English.
    pub fn message(&self) -> String {
        self.problem.to_string()
    }
}

/// `{field, message, code}`: the `message` is the English the API always
/// answered with; `code` names the problem for clients that want their own
/// words.
impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut o = s.serialize_struct("FieldError", 3)?;
        o.serialize_field("field", &self.field)?;
        o.serialize_field("message", &self.problem.to_string())?;
        o.serialize_field("code", self.problem.code())?;
        o.end()
    }
}

/// All problems found in one input: the first
/// [`crate::bounds::MAX_FIELD_ERRORS`] listed, then one last entry that
/// counts the rest, so an answer stays small however bad the input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>, #[serde(skip)] usize);

impl FieldErrors {
    /// Records a problem.
    pub fn add(&mut self, field: impl Into<String>, problem: Problem) {
        if self.1 == 0 && self.0.len() < crate::bounds::MAX_FIELD_ERRORS {
            self.0.push(FieldError { field: field.into(), problem });
            return;
        }
        self.1 += 1;
        let more = FieldError { field: "more".into(), problem: Problem::More { n: self.1 } };
        if self.1 == 1 {
            self.0.push(more);
        } else if let Some(last) = self.0.last_mut() {
            *last = more;
        }
    }

    /// One problem of one field.
    pub fn one(field: impl Into<String>, problem: Problem) -> FieldErrors {
        let mut e = FieldErrors::default();
        e.add(field, problem);
        e
    }

    /// Ends a list its caller has already cut short with the caller's own
    /// count of the rest (e.g. "and 3,400 more rows have problems"); not
    /// subject to the cap, as the cutting is done.
    pub fn summarise_rest(&mut self, field: impl Into<String>, problem: Problem) {
        self.0.push(FieldError { field: field.into(), problem });
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing is wrong, else the errors.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Checks a page request (`?page=&per_page=` as API.md has it): pages
/// from 1, 50 items per page by default, at most 200. Returns the page and
/// its size, or the fields that are out of range.
pub fn check_page(page: Option<i64>, per_page: Option<i64>) -> Result<(i64, i64), FieldErrors> {
    let mut errors = FieldErrors::default();
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(50);
    if !(1..=1_000_000).contains(&page) {
        errors.add("page", Problem::PageNumber);
    }
    if !(1..=200).contains(&per_page) {
        errors.add("per_page", Problem::PerPage { max: 200 });
    }
    errors.into_result().map(|()| (page, per_page))
}

/// True for characters no text field may hold: control characters other
/// than tab, line feed and carriage return (U+0000 is refused by
/// PostgreSQL outright, so it was a 500 there and stored on SQLite), and
/// the bidirectional embeddings, overrides, isolates and marks that make an
/// invoice reference or an address read differently from what it holds.
pub fn forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True when a JSON text carries a forbidden character in any string,
/// written as itself or as a `\uXXXX` escape. Reads the text once, without
/// parsing it: an escaped backslash (`\\u0000`) is two characters, not one.
pub fn json_has_forbidden_char(json: &str) -> bool {
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).ok();
                    // A surrogate half is no control character; others decode.
                    if code.and_then(char::from_u32).is_some_and(forbidden_char) {
                        return true;
                    }
                }
                _ => continue,
            }
        } else if forbidden_char(c) {
            return true;
        }
    }
    false
}

/// The error for a text with a forbidden character, naming `field`.
pub fn forbidden_char_error(field: &str) -> FieldErrors {
    FieldErrors::one(field, Problem::ForbiddenChars)
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.problem)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_direction_overrides_are_found_written_or_escaped() {
        assert!(json_has_forbidden_char(r#"{"email":"a\u0000@x.demo"}"#));
        assert!(json_has_forbidden_char(r#"{"note":"\u202e"}"#));
        assert!(json_has_forbidden_char("{\"note\":\"a\u{7}b\"}"));
        assert!(json_has_forbidden_char("{\"note\":\"\u{2066}x\"}"));
        assert!(!json_has_forbidden_char(r#"{"note":"第一行\n第二行\t\u4f60"}"#));
        assert!(!json_has_forbidden_char(r#"{"path":"C:\\u0000"}"#), "an escaped backslash before u0000 is text");
        assert!(!json_has_forbidden_char("{\"a\":\"喀什市人民东路1号\"}"));
    }

    #[test]
    fn past_the_limit_problems_are_counted_not_listed() {
        let mut e = FieldErrors::default();
        for i in 0..60_000 {
            e.add(format!("lines[{i}].quantity"), Problem::LineQuantity { max: 1 });
        }
        assert_eq!(e.0.len(), crate::bounds::MAX_FIELD_ERRORS + 1);
        assert_eq!(e.0[99].field, "lines[99].quantity");
        assert_eq!(e.0[100].message(), "59900 more problems not listed");
    }
}
