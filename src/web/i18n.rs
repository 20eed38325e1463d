//! The words of the pages, in Chinese (the default) and English. One struct
//! per language, so a missing translation is a compile error.

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
    pub fn t(self) -> &'static Strings {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// True for English.
    pub fn is_en(self) -> bool {
        self == Lang::En
    }
}

/// Every word a page shows.
#[derive(Debug)]
pub struct Strings {
    /// `<html lang>`
    pub html_lang: &'static str,
    /// Product name
    pub brand: &'static str,
    /// Under the brand
    pub tagline: &'static str,
    /// The other language's switch link
    pub switch_label: &'static str,
    /// Cookie value of the other language
    pub switch_to: &'static str,
    /// Nav
    pub nav_home: &'static str,
    /// Nav
    pub sign_in: &'static str,
    /// Nav
    pub sign_out: &'static str,
    /// Home heading
    pub home_heading: &'static str,
    /// Home intro
    pub home_intro: &'static str,
    /// Card: sold by
    pub sold_by: &'static str,
    /// Card: origin
    pub origin: &'static str,
    /// Price suffix "from"
    pub from_price: &'static str,
    /// Stock states
    pub in_stock: &'static str,
    /// Stock states
    pub low_stock: &'static str,
    /// Stock states
    pub out_of_stock: &'static str,
    /// Units available
    pub available: &'static str,
    /// Empty catalogue
    pub no_products: &'static str,
    /// Pagination
    pub previous: &'static str,
    /// Pagination
    pub next: &'static str,
    /// Pagination "page x of y"
    pub page_of: &'static str,
    /// Product page
    pub price_tiers: &'static str,
    /// Product page: "from N units"
    pub tier_from: &'static str,
    /// Product page
    pub certificates: &'static str,
    /// Product page
    pub valid_until: &'static str,
    /// Product page
    pub expired: &'static str,
    /// Product page
    pub storage: &'static str,
    /// Product page
    pub cooperative: &'static str,
    /// Product page
    pub spec: &'static str,
    /// Product page: households line, before the number
    pub supports: &'static str,
    /// Product page: households line, after the number
    pub households_in: &'static str,
    /// Product page: of which registered poor
    pub of_which_poor: &'static str,
    /// Region code label
    pub region_code: &'static str,
    /// Login page
    pub login_heading: &'static str,
    /// Login page
    pub email: &'static str,
    /// Login page
    pub password: &'static str,
    /// Login page
    pub wrong_credentials: &'static str,
    /// Login page
    pub too_many_attempts: &'static str,
    /// Login page: every password check is taken
    pub login_busy: &'static str,
    /// Login page: an e-mail address or password longer than any real one
    pub credentials_too_long: &'static str,
    /// Login page
    pub demo_accounts: &'static str,
    /// Login page
    pub demo_password: &'static str,
    /// Signed in as
    pub signed_in_as: &'static str,
    /// Errors
    pub not_found: &'static str,
    /// Errors
    pub not_found_detail: &'static str,
    /// Errors
    pub server_error: &'static str,
    /// Errors
    pub server_error_detail: &'static str,
    /// Errors: a stale or forged CSRF token
    pub forbidden_form: &'static str,
    /// Errors: signed in, but without the role the page needs
    pub forbidden_role: &'static str,
    /// Errors: a request the page cannot use (400, 405, 415, 422 from a form)
    pub bad_request: &'static str,
    /// Errors
    pub bad_request_detail: &'static str,
    /// Errors: a form value with a control character
    pub control_chars: &'static str,
    /// Errors: an upload or form over the size limit (413)
    pub too_large: &'static str,
    /// Errors
    pub too_large_detail: &'static str,
    /// Errors: the server is busy or took too long (503)
    pub busy: &'static str,
    /// Errors
    pub busy_detail: &'static str,
    /// Errors
    pub request_id: &'static str,
    /// Errors
    pub back_home: &'static str,
    /// Footer
    pub footer: &'static str,
    /// Search page
    pub search_placeholder: &'static str,
    /// Search page
    pub search_button: &'static str,
    /// Search page
    pub results_count: &'static str,
    /// Search page
    pub no_results: &'static str,
    /// Search page
    pub clear_filters: &'static str,
    /// Search page
    pub facet_category: &'static str,
    /// Search page
    pub facet_prefecture: &'static str,
    /// Search page
    pub facet_county: &'static str,
    /// Search page
    pub facet_certified: &'static str,
    /// Search page
    pub sort_label: &'static str,
    /// Search page
    pub sort_relevance: &'static str,
    /// Search page
    pub sort_price_asc: &'static str,
    /// Search page
    pub sort_price_desc: &'static str,
    /// Search page
    pub sort_sales: &'static str,
    /// Search page
    pub sort_newest: &'static str,
    /// Search page
    pub apply: &'static str,
    /// Search page
    pub only_paired: &'static str,
    /// Search page
    pub paired_heading: &'static str,
    /// Search page
    pub in_stock_only: &'static str,
    /// Search page
    pub invalid_filter: &'static str,
    /// Browse pages
    pub browse_places: &'static str,
    /// Browse pages
    pub cooperatives: &'static str,
    /// Browse pages
    pub products_here: &'static str,
    /// Browse pages
    pub see_all: &'static str,
    /// Browse pages
    pub members_line: &'static str,
    /// Browse pages
    pub payout_ratio: &'static str,
    /// Browse pages
    pub browse_by_region: &'static str,
    /// Console
    pub console_title: &'static str,
    /// Console
    pub console_record_lot: &'static str,
    /// Console
    pub console_members: &'static str,
    /// Console
    pub console_near_expiry: &'static str,
    /// Console
    pub console_low: &'static str,
    /// Console
    pub console_lot: &'static str,
    /// Console
    pub console_product: &'static str,
    /// Console
    pub console_quantity: &'static str,
    /// Console
    pub console_allocated: &'static str,
    /// Console
    pub console_harvested: &'static str,
    /// Console
    pub console_expires: &'static str,
    /// Console
    pub console_node: &'static str,
    /// Console
    pub console_contribution: &'static str,
    /// Console
    pub console_contributions_hint: &'static str,
    /// Console
    pub console_pick_household: &'static str,
    /// Console
    pub console_whole_number: &'static str,
    /// Console
    pub console_save: &'static str,
    /// Console
    pub console_fix: &'static str,
    /// Console
    pub console_adjust: &'static str,
    /// Console
    pub console_delta: &'static str,
    /// Console
    pub console_reason: &'static str,
    /// Console
    pub console_note: &'static str,
    /// Console
    pub console_history: &'static str,
    /// Console
    pub console_who: &'static str,
    /// Console
    pub console_when: &'static str,
    /// Console
    pub console_before: &'static str,
    /// Console
    pub console_after: &'static str,
    /// Console
    pub console_status: &'static str,
    /// Console
    pub console_size: &'static str,
    /// Console
    pub console_supplied: &'static str,
    /// Console
    pub console_expired: &'static str,
    /// Console
    pub console_soon: &'static str,
    /// Console
    pub console_no_lots: &'static str,
    /// Import page
    pub import_title: &'static str,
    /// Import page
    pub import_help: &'static str,
    /// Import page
    pub import_file: &'static str,
    /// Import page
    pub import_button: &'static str,
    /// Import page
    pub import_done: &'static str,
    /// Import page
    pub import_nothing: &'static str,
    /// Import page
    pub import_row: &'static str,
    /// Import page
    pub import_problem: &'static str,
    /// Import page
    pub import_choose_file: &'static str,
    /// Import refused: as many imports as may run at once are running
    pub import_busy: &'static str,
    /// Import refused: the file is over `{max}` MB
    pub import_over_upload: &'static str,
    /// Import refused: the XLSX has more than `{max}` parts
    pub import_over_entries: &'static str,
    /// Import refused: the XLSX unpacks to more than `{max}` MB
    pub import_over_unpacked: &'static str,
    /// Import refused: the sheet declares `{rows}` × `{columns}`, over `{max_rows}` × `{max_columns}`
    pub import_over_dimension: &'static str,
    /// Import refused: more than `{max}` rows
    pub import_over_rows: &'static str,
    /// Import refused: row `{row}` has more than `{max}` cells
    pub import_over_row_cells: &'static str,
    /// Import refused: more than `{max}` cells or `{mb}` MB of text in all
    pub import_over_cells: &'static str,
    /// Import refused: a cell of row `{row}` holds more than `{max}` bytes
    pub import_over_cell_text: &'static str,
    /// Import refused: reading took more than `{max}` seconds
    pub import_over_time: &'static str,
    /// Under a capped list of bad rows: `{n}` more rows, first `{max}` listed
    pub import_more_rows: &'static str,
    /// Product form
    pub product_form_title: &'static str,
    /// Product form
    pub pf_name: &'static str,
    /// Product form
    pub pf_name_en: &'static str,
    /// Product form
    pub pf_unit: &'static str,
    /// Product form
    pub pf_description: &'static str,
    /// Product form
    pub pf_tiers_hint: &'static str,
    /// Product form
    pub pf_active: &'static str,
    /// Product form
    pub pf_new: &'static str,
    /// Product form
    pub pf_edit: &'static str,
}

/// 中文
pub static ZH: Strings = Strings {
    html_lang: "zh-CN",
    brand: "助农",
    tagline: "消费帮扶 · 每一元都有去处",
    switch_label: "English",
    switch_to: "en",
    nav_home: "首页",
    sign_in: "登录",
    sign_out: "退出",
    home_heading: "脱贫地区特色农产品",
    home_intro: "来自喀什、昌都、恩施的合作社直供，每一笔销售都追溯到供货农户。",
    sold_by: "合作社",
    origin: "产地",
    from_price: "起",
    in_stock: "有货",
    low_stock: "库存紧张",
    out_of_stock: "暂时缺货",
    available: "可售",
    no_products: "目前还没有上架的产品。",
    previous: "上一页",
    next: "下一页",
    page_of: "页，共",
    price_tiers: "批量价格",
    tier_from: "起订",
    certificates: "认证",
    valid_until: "有效期至",
    expired: "已过期",
    storage: "储存方式",
    cooperative: "合作社",
    spec: "规格",
    supports: "带动",
    households_in: "户农户增收，产地",
    of_which_poor: "其中建档立卡户",
    region_code: "区划代码",
    login_heading: "登录助农",
    email: "电子邮箱",
    password: "密码",
    wrong_credentials: "邮箱或密码不正确。",
    too_many_attempts: "登录失败次数过多，请稍后再试。",
    login_busy: "登录的人较多，请几秒后再试。",
    credentials_too_long: "邮箱或密码过长，请检查后重新输入。",
    demo_accounts: "演示账号（仅供演示）",
    demo_password: "密码均为",
    signed_in_as: "当前用户",
    not_found: "找不到该页面",
    not_found_detail: "您要找的内容不存在或已下架。",
    server_error: "服务器出错了",
    server_error_detail: "我们已记录此问题。反馈时请提供请求编号。",
    forbidden_form: "表单已过期，请刷新页面后重试。",
    forbidden_role: "您没有权限访问此页面",
    bad_request: "无法处理该请求",
    bad_request_detail: "提交的内容不完整或格式不对，请返回上一页检查后重试。",
    control_chars: "提交的内容中含有无法保存的控制字符或文字方向符号（多见于从其他软件复制的文字），请返回上一页删除后重试。",
    too_large: "提交的内容太大",
    too_large_detail: "每次提交（包括上传的文件）不能超过 2 MB，请拆分后再试。",
    busy: "服务器正忙",
    busy_detail: "请稍等片刻再试。如果刚才提交了订单，请先在“我的订单”中查看，避免重复下单。",
    request_id: "请求编号",
    back_home: "返回首页",
    footer: "助农 · 消费帮扶平台 — 区划数据：国家统计局 2023 年统计用区划代码",
    search_placeholder: "搜索产品、产地或合作社，如 红枣、喀什",
    search_button: "搜索",
    results_count: "件产品",
    no_results: "没有找到符合条件的产品。试试更短的关键词或清除筛选。",
    clear_filters: "清除筛选",
    facet_category: "品类",
    facet_prefecture: "地区",
    facet_county: "县",
    facet_certified: "认证",
    sort_label: "排序",
    sort_relevance: "综合",
    sort_price_asc: "价格从低到高",
    sort_price_desc: "价格从高到低",
    sort_sales: "销量",
    sort_newest: "最新",
    apply: "应用",
    only_paired: "只看对口帮扶地区",
    paired_heading: "对口帮扶地区产品",
    in_stock_only: "只看有货",
    invalid_filter: "筛选条件有误",
    browse_places: "下辖地区",
    cooperatives: "合作社",
    products_here: "产品",
    see_all: "查看全部",
    members_line: "成员农户",
    payout_ratio: "农户分成比例",
    browse_by_region: "按产地浏览",
    console_title: "库存管理",
    console_record_lot: "登记采收批次",
    console_members: "成员农户",
    console_near_expiry: "临期批次",
    console_low: "库存不足的产品",
    console_lot: "批次",
    console_product: "产品",
    console_quantity: "数量",
    console_allocated: "已占用",
    console_harvested: "采收日期",
    console_expires: "保质期至",
    console_node: "存放站点",
    console_contribution: "供货农户",
    console_contributions_hint: "各农户供货数量之和必须等于批次数量。",
    console_pick_household: "请选择农户并填写数量",
    console_whole_number: "请填写整数",
    console_save: "保存",
    console_fix: "请修改以下问题：",
    console_adjust: "调整库存",
    console_delta: "增减数量（负数为减少）",
    console_reason: "原因",
    console_note: "备注",
    console_history: "变动记录",
    console_who: "操作人",
    console_when: "时间",
    console_before: "变动前",
    console_after: "变动后",
    console_status: "类别",
    console_size: "人口",
    console_supplied: "累计供货",
    console_expired: "已过期",
    console_soon: "临期",
    console_no_lots: "暂无批次",
    import_title: "导入批次（CSV / XLSX）",
    import_help: "每行一个供货农户；lot 相同的行组成一个批次。文件中任何一行有误，则整个文件都不导入，并列出每一行的问题。",
    import_file: "文件",
    import_button: "导入",
    import_done: "已导入",
    import_nothing: "未导入任何数据。请修改以下行后重新上传：",
    import_row: "行",
    import_problem: "问题",
    import_choose_file: "请选择要导入的文件。",
    import_busy: "当前正在进行的导入较多，请稍等几秒后再上传。",
    import_over_upload: "文件超过 {max} MB，无法导入。请拆分成几个文件分别导入。",
    import_over_entries: "这个 XLSX 文件包含的部件超过 {max} 个，无法导入。请另存为只含一个工作表的新文件后再试。",
    import_over_unpacked: "这个 XLSX 文件解压后超过 {max} MB，无法导入。请另存为只含一个工作表的新文件，或导出为 CSV。",
    import_over_dimension: "工作表声明的范围有 {rows} 行 × {columns} 列，超过导入上限 {max_rows} 行 × {max_columns} 列。请删除多余的行列（或只复制数据到新表）后再试。",
    import_over_rows: "文件超过 {max} 行，无法导入。请拆分成几个文件分别导入。",
    import_over_row_cells: "第 {row} 行超过 {max} 列，无法导入。",
    import_over_cells: "文件内容超过 {max} 个单元格或 {mb} MB 文字，无法导入。请拆分成几个文件分别导入。",
    import_over_cell_text: "第 {row} 行有单元格超过 {max} 个字节，无法导入。",
    import_over_time: "文件在 {max} 秒内未能读完，请拆分成几个文件分别导入。",
    import_more_rows: "另有 {n} 行有问题（只列出前 {max} 个问题）。",
    product_form_title: "产品信息",
    pf_name: "产品名称",
    pf_name_en: "英文名称",
    pf_unit: "销售单位",
    pf_description: "简介",
    pf_tiers_hint: "第一档从 1 起；数量越多单价越低。价格以元为单位，如 12.50。",
    pf_active: "在售",
    pf_new: "新增产品",
    pf_edit: "编辑",
};

/// English
pub static EN: Strings = Strings {
    html_lang: "en",
    brand: "Zhunong",
    tagline: "Consumption support · every yuan accounted for",
    switch_label: "中文",
    switch_to: "zh",
    nav_home: "Home",
    sign_in: "Sign in",
    sign_out: "Sign out",
    home_heading: "Produce from poverty-alleviation regions",
    home_intro: "Straight from cooperatives in Kashgar, Chamdo and Enshi; every sale is traced to the households that grew it.",
    sold_by: "Cooperative",
    origin: "Origin",
    from_price: "from",
    in_stock: "In stock",
    low_stock: "Low stock",
    out_of_stock: "Out of stock",
    available: "available",
    no_products: "No products are listed yet.",
    previous: "Previous",
    next: "Next",
    page_of: "of",
    price_tiers: "Bulk prices",
    tier_from: "from",
    certificates: "Certificates",
    valid_until: "valid until",
    expired: "expired",
    storage: "Storage",
    cooperative: "Cooperative",
    spec: "Specification",
    supports: "Supports",
    households_in: "households in",
    of_which_poor: "registered poor households among them",
    region_code: "Region code",
    login_heading: "Sign in to Zhunong",
    email: "E-mail",
    password: "Password",
    wrong_credentials: "Wrong e-mail address or password.",
    too_many_attempts: "Too many failed sign-ins; please try again later.",
    login_busy: "Many people are signing in; try again in a few seconds.",
    credentials_too_long: "That e-mail address or password is too long; please check it and try again.",
    demo_accounts: "Demo accounts (demo only)",
    demo_password: "password for all:",
    signed_in_as: "Signed in as",
    not_found: "Page not found",
    not_found_detail: "What you are looking for does not exist or is no longer listed.",
    server_error: "Something went wrong",
    server_error_detail: "We have logged the problem. Please quote the request id if you report it.",
    forbidden_form: "This form has expired; reload the page and try again.",
    forbidden_role: "You don't have access to this page",
    bad_request: "This request could not be handled",
    bad_request_detail: "What was sent is incomplete or not in the expected form. Go back, check it and try again.",
    control_chars: "What was sent holds control characters or text-direction marks (often from text pasted from another program) that cannot be stored. Go back, remove them and try again.",
    too_large: "What you sent is too large",
    too_large_detail: "A submission, uploaded files included, may be at most 2 MB. Split it and try again.",
    busy: "The server is busy",
    busy_detail: "Please try again in a moment. If you had just placed an order, look in your orders first so you do not order twice.",
    request_id: "Request id",
    back_home: "Back to the home page",
    footer: "Zhunong · consumption-support marketplace — region data: NBS 2023 statistical division codes",
    search_placeholder: "Search produce, origin or cooperative, e.g. walnut, Kashgar",
    search_button: "Search",
    results_count: "products",
    no_results: "No products match. Try a shorter word or clear the filters.",
    clear_filters: "Clear filters",
    facet_category: "Category",
    facet_prefecture: "Prefecture",
    facet_county: "County",
    facet_certified: "Certificate",
    sort_label: "Sort",
    sort_relevance: "Relevance",
    sort_price_asc: "Price: low to high",
    sort_price_desc: "Price: high to low",
    sort_sales: "Best-selling",
    sort_newest: "Newest",
    apply: "Apply",
    only_paired: "Only my paired regions",
    paired_heading: "From your paired regions",
    in_stock_only: "In stock only",
    invalid_filter: "Invalid filter",
    browse_places: "Places",
    cooperatives: "Cooperatives",
    products_here: "Products",
    see_all: "See all",
    members_line: "Member households",
    payout_ratio: "Share passed to households",
    browse_by_region: "Browse by origin",
    console_title: "Stock console",
    console_record_lot: "Record a harvest lot",
    console_members: "Member households",
    console_near_expiry: "lots near expiry",
    console_low: "products low on stock",
    console_lot: "Lot",
    console_product: "Product",
    console_quantity: "Quantity",
    console_allocated: "Held by orders",
    console_harvested: "Harvested",
    console_expires: "Expires",
    console_node: "Node",
    console_contribution: "Contributing household",
    console_contributions_hint: "The households' quantities must add up to the lot quantity.",
    console_pick_household: "choose a household and give a quantity",
    console_whole_number: "give a whole number",
    console_save: "Save",
    console_fix: "Please fix:",
    console_adjust: "Adjust stock",
    console_delta: "Change (negative to remove)",
    console_reason: "Reason",
    console_note: "Note",
    console_history: "History",
    console_who: "Who",
    console_when: "When",
    console_before: "Before",
    console_after: "After",
    console_status: "Status",
    console_size: "Size",
    console_supplied: "Supplied",
    console_expired: "expired",
    console_soon: "expires soon",
    console_no_lots: "No lots yet",
    import_title: "Import lots (CSV / XLSX)",
    import_help: "One row per contributing household; rows with the same lot form one lot. If any row is wrong, nothing is imported and every bad row is listed.",
    import_file: "File",
    import_button: "Import",
    import_done: "Imported",
    import_nothing: "Nothing was imported. Fix these rows and upload again:",
    import_row: "Row",
    import_problem: "Problem",
    import_choose_file: "Choose a file to import.",
    import_busy: "Several imports are running right now. Wait a few seconds and upload again.",
    import_over_upload: "The file is larger than {max} MB and cannot be imported. Split it into smaller files.",
    import_over_entries: "This XLSX file has more than {max} parts and cannot be imported. Save the sheet as a new workbook and try again.",
    import_over_unpacked: "This XLSX file unpacks to more than {max} MB and cannot be imported. Save the sheet as a new workbook, or export it as CSV.",
    import_over_dimension: "The sheet declares {rows} rows × {columns} columns, over the import limit of {max_rows} rows × {max_columns} columns. Delete the extra rows and columns (or copy the data to a new sheet) and try again.",
    import_over_rows: "The file has more than {max} rows and cannot be imported. Split it into smaller files.",
    import_over_row_cells: "Row {row} has more than {max} columns and cannot be imported.",
    import_over_cells: "The file holds more than {max} cells or {mb} MB of text and cannot be imported. Split it into smaller files.",
    import_over_cell_text: "A cell in row {row} holds more than {max} bytes and cannot be imported.",
    import_over_time: "The file could not be read within {max} seconds. Split it into smaller files.",
    import_more_rows: "And {n} more rows have problems (only the first {max} problems are listed).",
    product_form_title: "Product",
    pf_name: "Name",
    pf_name_en: "English name",
    pf_unit: "Selling unit",
    pf_description: "Description",
    pf_tiers_hint: "The first tier starts at 1; larger quantities get lower unit prices. Prices in yuan, e.g. 12.50.",
    pf_active: "On sale",
    pf_new: "New product",
    pf_edit: "Edit",
};
