//! The back office in Japanese. Every field of [`BackOfficeStrings`] and of
//! [`MemberSettlementStrings`] must be filled, so a sentence added to either struct cannot be
//! forgotten here. Depends on nothing but `i18n` and that struct's declaration in
//! `web::back_office`.

use crate::web::back_office::MemberSettlementStrings;
use crate::web::i18n::{BackOfficeProblems, BackOfficeStrings, Problem};

/// Japanese.
pub const BACK_OFFICE_JA: BackOfficeStrings = BackOfficeStrings {
    footer: "farthing 管理画面 · MSP の担当者専用",
    menu: "管理画面のページ",
    signed_in_as: |email| format!("{email} でログイン中"),
    signed_in_with_admin_key: "管理者キーでログイン中",
    sign_out: "ログアウト",

    sign_in_heading: "担当者ログイン",
    sign_in_intro: "MSP の担当者専用です。ここでの操作はすべて監査ログに記録されます。",
    email: "メールアドレス",
    password: "パスワード",
    sign_in: "ログイン",
    wrong_credentials: "メールアドレスまたはパスワードが担当者のものと一致しません。もう一度お試しください。",
    missing_credentials: "メールアドレスとパスワードを入力してください。",

    home: "ホーム",
    home_intro: "作業を選んでください。表示されるのは、所属するセキュリティグループで許可されたページだけです。",
    home_nothing: "所属するセキュリティグループで許可されたページはまだありません。管理者に連絡してください。",
    disputes: "異議申し立て",
    disputes_task: "担当者の判断を待っている異議申し立てを処理します。",
    security_groups: "セキュリティグループ",
    security_groups_task: "グループを確認し、自分が持つ機能から新しいグループを作成します。",
    audit: "監査ログ",
    audit_task: "管理画面でのすべての操作（だれが、どの機能で、何をし、どうなったか）を確認します。",
    vendors: "販売者",
    vendors_task: "販売者を確認し、自分で登録した販売者を承認します。",

    disputes_heading: "判断待ちの異議申し立て",
    disputes_intro: "古い順に表示します。承認すると会員に返金され、販売は取り消されます。\
                     却下すると販売はそのまま残ります。入力した理由は会員に表示されます。",
    disputes_empty: "判断待ちの異議申し立てはありません。",
    filed: "申し立て日時",
    amount: "金額",
    vendor: "販売者",
    member_reason: "会員の理由",
    decision: "判断",
    your_reason: "判断の理由",
    approve: "承認",
    reject: "却下",
    reason_invalid: "判断の理由を256バイト以内で入力してください。",
    dispute_approved: "異議申し立てを承認し、会員に返金しました。",
    dispute_rejected: "異議申し立てを却下しました。",
    next_page: "次のページ",

    groups_heading: "セキュリティグループ",
    groups_intro: "グループは機能の集まりを許可します。作成できるのは、自分が持つ機能だけからなるグループです。",
    groups_empty: "グループはまだありません。",
    name: "名前",
    functions: "機能",
    created: "作成日時",
    create_group_heading: "グループを作成",
    functions_legend: "許可する機能",
    create_group: "グループを作成",
    name_invalid: "グループ名を256バイト以内で入力してください。",
    group_created: "グループを作成しました。",

    audit_heading: "監査ログ",
    audit_intro: "管理画面でのすべての操作を古い順に表示します。だれが、どの機能で、何を呼び出し、\
                  何を変更し、どうなったかが分かります。",
    actor: "操作者",
    actor_hint: "admin_key または担当者 ID（op_…）",
    function: "機能",
    any_function: "すべての機能",
    filter: "絞り込む",
    at: "日時",
    call: "呼び出し",
    change: "変更内容",
    outcome: "結果",
    outcome_unknown: "不明",
    audit_empty: "条件に合う記録はありません。",
    actor_invalid: "操作者には admin_key か担当者 ID（op_ と16桁の16進数）を入力してください。",

    vendors_heading: "販売者",
    vendors_intro: "自分で登録した販売者は、担当者が承認するまで販売できません。",
    vendors_empty: "販売者はまだいません。",
    id: "ID",
    currency: "通貨",
    status: "状態",
    status_pending: "承認待ち",
    status_approved: "承認済み",
    status_rejected: "却下",
    fee_ppm: "手数料（ppm）",
    fee_invalid: "販売者を承認するには、MSP の手数料を0から1000000までの ppm（100万分率）で\
                  入力してください（50000 で5%）。",
    vendor_approved: "販売者を承認しました。",
    vendor_rejected: "販売者を却下しました。",

    problem_code: "コード",
    problem_generic_title: "処理できませんでした",
    problem_generic_detail: "リクエストは拒否されたか、完了できませんでした。理由は下のコードで分かります。",
    back_to_home: "管理画面に戻る",
    problems: BackOfficeProblems {
        csrf_failed: Problem {
            title: "フォームの有効期限が切れました",
            detail: "フォームが長時間開かれていたか、別のページから送信されたため受け付けられませんでした。\
                     ページを再読み込みしてもう一度お試しください。何も変更されていません。",
        },
        function_not_granted: Problem {
            title: "許可されていません",
            detail: "所属するセキュリティグループでは、このページまたは操作は許可されていません。\
                     何も変更されていません。",
        },
        too_many_attempts: Problem {
            title: "試行回数が多すぎます",
            detail: "ログインの失敗が多すぎます。数分待ってからもう一度お試しください。",
        },
        not_found: Problem {
            title: "見つかりません",
            detail: "ページ、またはフォームが指す記録は存在しません。",
        },
        decided_already: Problem {
            title: "すでに判断済みです",
            detail: "先に別の担当者が判断しました。ページを再読み込みして現在の状態を確認してください。",
        },
        unavailable: Problem {
            title: "一時的に利用できません",
            detail: "現在処理できませんでした。何も変更されていません。しばらくしてからもう一度お試しください。",
        },
    },
};

/// The members and settlement pages in Japanese: an inherent `const` of the type
/// `web::back_office` declares, so `web/i18n.rs` (which declares `BackOfficeStrings`) is left
/// as it is.
impl MemberSettlementStrings {
    /// Japanese.
    pub const JA: MemberSettlementStrings = MemberSettlementStrings {
        members: "会員",
        members_task: "会員を ID またはメールアドレスで検索し、ウォレット、上限、最近の購入を確認します。",
        settlement: "精算",
        settlement_task: "精算の実行と支払いを確認し、精算を実行し、返却された支払いを記録します。",

        members_heading: "会員",
        members_intro: "会員を ID（acct_…）またはメールアドレスで検索します。\
                        セキュリティグループで members.personal_data.read が許可されていない場合、\
                        個人情報は伏せて表示されます。",
        lookup_label: "会員 ID またはメールアドレス",
        lookup_hint: "acct_… または name@example.com",
        look_up: "検索",
        member_invalid: "会員 ID（acct_ と16桁の16進数）またはメールアドレスを入力してください。",
        member_unknown: "この ID またはメールアドレスの会員はいません。",
        personal_data_masked: "個人情報は伏せて表示しています。セキュリティグループで \
                               members.personal_data.read が許可されていません。",
        member_id: "会員 ID",
        member_email: "メールアドレス",
        standing: "状態",
        active: "有効",
        frozen: "凍結中：会員が凍結を解除するまで購入できません",
        entitlements: "保有する利用権",
        wallets_heading: "ウォレット",
        wallets_empty: "開設されたウォレットはありません。",
        paid: "入金残高",
        incentive: "インセンティブ",
        credit_line: "与信枠",
        debt: "未払い額",
        available: "利用可能額",
        limits_heading: "利用上限",
        limits_empty: "上限は設定されていません。",
        per_transaction: "1回あたり",
        per_session: "1セッションあたり",
        per_day: "1日あたり",
        per_week: "1週間あたり",
        per_month: "1か月あたり",
        vendors_allowed: "許可された販売者",
        no_limit: "なし",
        any_vendor: "すべて",
        payment_methods_heading: "支払い方法",
        payment_methods_empty: "保存された支払い方法はありません。",
        kind: "種類",
        brand: "ブランド",
        last4: "末尾の番号",
        kind_card: "カード",
        kind_bank: "銀行口座",
        purchases_heading: "最近の購入",
        purchases_empty: "購入はまだありません。",
        bought: "購入日時",
        reversed: "取り消し済み",

        settlement_heading: "精算",
        settlement_intro: "精算を実行すると、各販売者と権利者に支払うべき額を、\
                           銀行向けの1つの支払いファイルにまとめて支払います。新しい順に表示します。",
        start_run_heading: "精算を実行",
        start_run_intro: "強制実行では、しきい値やスケジュールにかかわらず、\
                          現在支払うべき正の額をすべての受取人に支払います。",
        start_run: "今すぐ精算を実行",
        run_started: "精算を実行しました。",
        runs_heading: "精算の実行履歴",
        runs_empty: "精算はまだ実行されていません。",
        started: "開始日時",
        forced: "強制",
        yes: "はい",
        no: "いいえ",
        file: "支払いファイル",
        run_open: "未完了",
        run_without_file: "支払いなし・ファイルなし",
        more_payouts: |count| format!("ほか {count} 件"),
        payouts_heading: "支払い",
        payouts_empty: "支払いはまだありません。",
        payee: "受取人",
        run: "精算",
        bank_account: "銀行口座",
        returned: "返却",
        return_reason: "銀行の返却理由",
        record_return: "返却を記録",
        payout_returned: "返却を記録しました。この額は次回以降の精算で再び支払われます。",
        return_reason_invalid: "銀行の返却理由を256バイト以内で入力してください。",
    };
}
