//! The back office in Brazilian Portuguese. Every field of [`BackOfficeStrings`] and of
//! [`MemberSettlementStrings`] must be filled, so a sentence added to either struct cannot be
//! forgotten here. Depends on nothing but `i18n`, the structs' declarations in
//! `web::back_office` and the frame's (`OfficeStrings`) in `web::office`.

use crate::web::back_office::{BackOfficeStrings, MemberSettlementStrings};
use crate::web::i18n::Problem;
use crate::web::office::{OfficeProblems, OfficeStrings};

/// Brazilian Portuguese.
pub const BACK_OFFICE_PT_BR: BackOfficeStrings = BackOfficeStrings {
    frame: OfficeStrings {
        footer: "Retaguarda farthing · somente para a equipe do MSP",
        menu: "Páginas da retaguarda",
        signed_in_as: |email| format!("Conectado como {email}"),
        signed_in_with_key: "Conectado com a chave de administrador",
        sign_out: "Sair",
        sign_in_heading: "Entrada de operador",
        sign_in_intro: "Para a equipe do MSP. Tudo o que você faz aqui fica registrado no log de \
                        auditoria.",
        email: "E-mail",
        password: "Senha",
        sign_in: "Entrar",
        wrong_credentials: "Esse e-mail e essa senha não correspondem a um operador. Tente de novo.",
        missing_credentials: "Informe seu e-mail e sua senha.",
        home: "Início",
        home_intro: "Escolha uma tarefa. Você vê apenas as páginas que seus grupos de segurança \
                     permitem.",
        home_nothing: "Seus grupos de segurança ainda não permitem nenhuma página aqui. Fale com \
                       um administrador.",
        problem_code: "Código",
        problem_generic_title: "Não deu certo",
        problem_generic_detail: "O pedido foi recusado ou não pôde ser concluído. O código abaixo \
                                 diz por quê.",
        back_to_home: "Voltar à retaguarda",
        problems: OfficeProblems {
            csrf_failed: Problem {
                title: "Este formulário expirou",
                detail: "O formulário não foi aceito: ficou aberto tempo demais ou veio de outra \
                         página. Recarregue a página e tente de novo. Nada foi alterado.",
            },
            function_not_granted: Problem {
                title: "Não permitido",
                detail: "Seus grupos de segurança não permitem esta página ou esta ação. Nada foi \
                         alterado.",
            },
            too_many_attempts: Problem {
                title: "Tentativas demais",
                detail: "Houve tentativas de entrada falhas demais. Aguarde alguns minutos e tente \
                         de novo.",
            },
            not_found: Problem {
                title: "Não encontrado",
                detail: "A página, ou o registro que o formulário indica, não existe.",
            },
            unavailable: Problem {
                title: "Indisponível no momento",
                detail: "O serviço não pôde decidir agora. Nada foi alterado; tente de novo em \
                         instantes.",
            },
        },
    },

    disputes: "Contestações",
    disputes_task: "Decida as contestações que esperam por um operador.",
    security_groups: "Grupos de segurança",
    security_groups_task: "Veja os grupos e crie um com funções que você possui.",
    audit: "Log de auditoria",
    audit_task: "Leia cada chamada da retaguarda: quem, qual função, o quê e como terminou.",
    vendors: "Vendedores",
    vendors_task: "Veja os vendedores e aprove os que se cadastraram sozinhos.",

    disputes_heading: "Contestações aguardando decisão",
    disputes_intro: "As mais antigas primeiro. Aprovar reembolsa o membro e estorna a venda; \
                     rejeitar mantém a venda. O membro vê o seu motivo.",
    disputes_empty: "Nenhuma contestação aguardando.",
    filed: "Aberta em",
    amount: "Valor",
    vendor: "Vendedor",
    member_reason: "Motivo do membro",
    decision: "Decisão",
    your_reason: "Seu motivo",
    approve: "Aprovar",
    reject: "Rejeitar",
    reason_invalid: "Escreva um motivo para a decisão, com no máximo 256 bytes.",
    dispute_approved: "A contestação foi aprovada e o membro, reembolsado.",
    dispute_rejected: "A contestação foi rejeitada.",
    next_page: "Próxima página",

    groups_heading: "Grupos de segurança",
    groups_intro: "Um grupo concede um conjunto de funções. Você só pode criar um grupo com \
                   funções que você mesmo possui.",
    groups_empty: "Ainda não há nenhum grupo.",
    name: "Nome",
    functions: "Funções",
    created: "Criado em",
    create_group_heading: "Criar um grupo",
    functions_legend: "Funções que ele concede",
    create_group: "Criar grupo",
    name_invalid: "Dê ao grupo um nome com no máximo 256 bytes.",
    group_created: "O grupo foi criado.",

    audit_heading: "Log de auditoria",
    audit_intro: "Cada chamada da retaguarda, das mais antigas às mais novas: quem a fez, a \
                  função, a chamada, o que mudou e como terminou.",
    actor: "Quem",
    actor_hint: "admin_key ou o id de um operador (op_…)",
    function: "Função",
    any_function: "Qualquer função",
    filter: "Filtrar",
    at: "Quando",
    call: "Chamada",
    change: "Mudança",
    outcome: "Resultado",
    outcome_unknown: "desconhecido",
    audit_empty: "Nenhum registro corresponde.",
    actor_invalid: "Quem é admin_key ou o id de um operador: op_ e 16 dígitos hexadecimais.",

    vendors_heading: "Vendedores",
    vendors_intro: "Um vendedor que se cadastrou sozinho só pode vender depois que um operador \
                    o aprovar.",
    vendors_empty: "Ainda não há nenhum vendedor.",
    id: "Id",
    currency: "Moeda",
    status: "Situação",
    status_pending: "Pendente",
    status_approved: "Aprovado",
    status_rejected: "Rejeitado",
    fee_ppm: "Taxa, ppm",
    fee_invalid: "Para aprovar um vendedor, informe a taxa do MSP em partes por milhão, de 0 \
                  a 1000000 (50000 é 5%).",
    vendor_approved: "O vendedor foi aprovado.",
    vendor_rejected: "O vendedor foi rejeitado.",
    decided_already: Problem {
        title: "Já decidido",
        detail: "Alguém decidiu isto antes de você. Recarregue a página para ver a \
                 situação atual.",
    },
};

/// The members and settlement pages in Brazilian Portuguese: an inherent `const` of the type
/// `web::back_office` declares, so `web/i18n.rs` (which declares `BackOfficeStrings`) is left
/// as it is.
impl MemberSettlementStrings {
    /// Brazilian Portuguese.
    pub const PT_BR: MemberSettlementStrings = MemberSettlementStrings {
        members: "Membros",
        members_task: "Consulte um membro pelo id ou e-mail: carteiras, limites e compras \
                       recentes.",
        settlement: "Liquidação",
        settlement_task: "Veja as liquidações e os pagamentos, inicie uma liquidação e \
                          registre um pagamento devolvido.",

        members_heading: "Membros",
        members_intro: "Consulte um membro pelo id (acct_…) ou e-mail. Os dados pessoais \
                        ficam mascarados, a menos que seus grupos de segurança concedam \
                        members.personal_data.read.",
        lookup_label: "Id ou e-mail do membro",
        lookup_hint: "acct_… ou nome@example.com",
        look_up: "Consultar",
        member_invalid: "Informe um id de membro (acct_ e 16 dígitos hexadecimais) ou um \
                         endereço de e-mail.",
        member_unknown: "Nenhum membro tem este id ou e-mail.",
        personal_data_masked: "Os dados pessoais estão mascarados: seus grupos de segurança \
                               não concedem members.personal_data.read.",
        member_id: "Id do membro",
        member_email: "E-mail",
        standing: "Situação",
        active: "Ativo",
        frozen: "Bloqueado: o membro não pode comprar até desbloquear a conta",
        closed: "Encerrada, dados pessoais apagados, em",
        entitlements: "Direitos de acesso",
        wallets_heading: "Carteiras",
        wallets_empty: "Nenhuma carteira aberta.",
        paid: "Saldo pago",
        incentive: "Incentivos",
        credit_line: "Limite de crédito",
        debt: "Dívida",
        available: "Disponível",
        limits_heading: "Limites de gastos",
        limits_empty: "Nenhum limite definido.",
        per_transaction: "Por compra",
        per_session: "Por sessão",
        per_day: "Por dia",
        per_week: "Por semana",
        per_month: "Por mês",
        vendors_allowed: "Vendedores permitidos",
        no_limit: "nenhum",
        any_vendor: "qualquer um",
        payment_methods_heading: "Formas de pagamento",
        payment_methods_empty: "Nenhuma forma de pagamento salva.",
        kind: "Tipo",
        brand: "Bandeira",
        last4: "Últimos dígitos",
        kind_card: "Cartão",
        kind_bank: "Conta bancária",
        purchases_heading: "Compras recentes",
        purchases_empty: "Nenhuma compra ainda.",
        bought: "Comprado em",
        reversed: "Estornada",

        settlement_heading: "Liquidação",
        settlement_intro: "Uma liquidação paga a cada vendedor e titular de direitos o que lhe \
                           é devido, em um arquivo de pagamento para o banco. Mais recentes \
                           primeiro.",
        start_run_heading: "Iniciar uma liquidação",
        start_run_intro: "Uma liquidação forçada paga a cada beneficiário qualquer valor \
                          positivo devido agora, independentemente do limite ou da agenda.",
        start_run: "Liquidar agora",
        run_started: "A liquidação foi feita.",
        runs_heading: "Liquidações",
        runs_empty: "Nenhuma liquidação ainda.",
        started: "Início",
        forced: "Forçada",
        yes: "Sim",
        no: "Não",
        file: "Arquivo de pagamento",
        run_open: "Ainda não concluída",
        run_without_file: "Sem pagamentos, sem arquivo",
        more_payouts: |count| format!("e mais {count}"),
        payouts_heading: "Pagamentos",
        payouts_empty: "Nenhum pagamento ainda.",
        payee: "Beneficiário",
        run: "Liquidação",
        bank_account: "Conta bancária",
        returned: "Devolvido",
        return_reason: "Motivo do banco",
        record_return: "Registrar devolução",
        payout_returned: "A devolução foi registrada; uma liquidação posterior pagará o valor \
                          novamente.",
        return_reason_invalid: "Escreva o motivo da devolução dado pelo banco, com no máximo \
                                256 bytes.",
        vendor_terms: "Taxa e liquidação",
        fee_rate_ppm: "Taxa mensal, ppm",
        set_fee: "Definir taxa",
        fee_set: "A taxa do vendedor foi definida; vale para este mês e os seguintes.",
        fee_rate_invalid: "Informe a taxa em partes por milhão, de 0 a 1000000 (50000 é 5%).",
        threshold: "Limite (0: nenhum)",
        minimum: "Mínimo (0: qualquer)",
        schedule_kind: "Calendário",
        schedule_weekly: "Semanal",
        schedule_twice_monthly: "Duas vezes por mês",
        schedule_monthly: "Mensal",
        schedule_day: "Dia (semanal 1-7, duas vezes por mês 1-15, mensal 1-31)",
        iban: "IBAN",
        bic: "BIC (opcional)",
        account_name: "Titular da conta",
        set_settlement: "Definir liquidação",
        settlement_set: "As configurações de liquidação do vendedor foram definidas; a conta \
                         bancária é guardada criptografada.",
        settlement_amount_invalid: "Informe o limite e o mínimo como valores, por exemplo \
                                    100.00 (0 para nenhum).",
        schedule_invalid: "Escolha um calendário e o dia: 1-7 semanal (segunda-feira é 1), 1-15 \
                           duas vezes por mês, 1-31 mensal (31 é o último dia do mês).",
        bank_account_invalid: "Os dados bancários não foram aceitos: confira o IBAN, o BIC (8 \
                               ou 11 caracteres) e o titular (1 a 70 caracteres) e digite-os \
                               novamente.",
    };
}
