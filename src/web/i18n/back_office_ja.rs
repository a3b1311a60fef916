//! The back office in Japanese. Every field of [`BackOfficeStrings`] must be filled, so a
//! sentence added to the struct cannot be forgotten here. Depends on nothing but `i18n`.

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
