//! The vendor office in Brazilian Portuguese. Every field of [`VendorOfficeStrings`] must be
//! filled, so a sentence added to the struct cannot be forgotten here. Depends on nothing but
//! `i18n` and the struct's declaration in `web::vendor_office`.

use crate::web::i18n::Problem;
use crate::web::office::{OfficeProblems, OfficeStrings};
use crate::web::vendor_office::VendorOfficeStrings;

/// Brazilian Portuguese.
pub const VENDOR_OFFICE_PT_BR: VendorOfficeStrings = VendorOfficeStrings {
    frame: OfficeStrings {
        footer: "Painel do vendedor farthing · somente para a equipe do vendedor",
        menu: "Páginas do painel do vendedor",
        signed_in_as: |email| format!("Conectado como {email}"),
        signed_in_with_key: "Conectado com a chave de API do vendedor",
        sign_out: "Sair",
        sign_in_heading: "Entrada do vendedor",
        sign_in_intro: "Para as pessoas a quem um vendedor deu um acesso. Tudo o que você faz aqui \
                        fica registrado no log de auditoria.",
        email: "E-mail",
        password: "Senha",
        sign_in: "Entrar",
        wrong_credentials: "Esse e-mail e essa senha não correspondem a um acesso de vendedor. \
                            Tente de novo.",
        missing_credentials: "Informe seu e-mail e sua senha.",
        home: "Início",
        home_intro: "Escolha uma tarefa. Você vê apenas as páginas que o seu acesso permite.",
        home_nothing: "Seu acesso ainda não permite nenhuma página aqui. Fale com quem o criou.",
        problem_code: "Código",
        problem_generic_title: "Isso não funcionou",
        problem_generic_detail: "O pedido foi recusado ou não pôde ser concluído. O código abaixo \
                                 diz por quê.",
        back_to_home: "Voltar ao painel do vendedor",
        problems: OfficeProblems {
            csrf_failed: Problem {
                title: "Este formulário expirou",
                detail: "O formulário não foi aceito: ficou aberto tempo demais ou veio de outra \
                         página. Recarregue a página e tente de novo. Nada foi alterado.",
            },
            function_not_granted: Problem {
                title: "Não permitido",
                detail: "Seu acesso não permite esta página ou esta ação. Fale com quem o criou. \
                         Nada foi alterado.",
            },
            too_many_attempts: Problem {
                title: "Tentativas demais",
                detail: "Houve tentativas de entrada malsucedidas demais. Aguarde alguns minutos e \
                         tente de novo.",
            },
            not_found: Problem {
                title: "Não encontrado",
                detail: "Esta página não existe.",
            },
            unavailable: Problem {
                title: "Indisponível no momento",
                detail: "O serviço não pôde decidir agora. Nada foi alterado; tente de novo em \
                         instantes.",
            },
        },
    },
    vendor: "por",

    sales: "Vendas",
    sales_task: "Veja o que você vendeu, as tarifas do MSP, o que ganhou, recebeu e tem a \
                 receber.",
    disputes: "Contestações",
    disputes_task: "Veja as contestações que membros abriram contra suas vendas e como \
                    terminaram.",
    payouts: "Repasses",
    payouts_task: "Veja os repasses feitos para a sua conta bancária.",
    api_keys: "Chaves de API",
    api_keys_task: "Gere uma nova chave de API para os seus servidores.",
    programs: "Programas de incentivo",
    programs_task: "Crie um programa de incentivo próprio, custeado por você.",

    sales_heading: "Vendas",
    sales_intro: "Todas as vendas desde a sua entrada, por moeda, sem as vendas estornadas. Os \
                  mesmos números de GET /v1/vendors/me/summary.",
    sales_empty: "Nenhuma venda ainda.",
    fee_rate: "Tarifa do MSP",
    fee_period: "Período da tarifa",
    period_month: "Mensal",
    period_quarter: "Trimestral",
    next_settlement: "Próxima liquidação",
    bank_account: "Pago em",
    settlement_unset: "Ainda não configurada: fale com o MSP.",
    sales_count: "Vendas",
    gross: "Bruto",
    fees: "Tarifas do MSP",
    incentives_msp: "Pago por incentivos do MSP",
    incentives_own: "Pago pelos seus incentivos",
    royalties_withheld: "Royalties retidos",
    commissions: "Comissões ganhas",
    net_payable: "Total ganho",
    settled: "Repassado",
    unsettled: "A receber",
    tier: "Faixa de tarifa no período",
    period_fee_base: "Base da tarifa no período",
    period_fees: "Tarifas no período",

    disputes_heading: "Contestações",
    disputes_intro: "As mais antigas primeiro. Um operador do MSP, ou as regras do MSP, decidem \
                     cada uma; uma contestação aprovada estorna a venda. Os membros aparecem \
                     pela referência com que você os conhece.",
    disputes_empty: "Nenhum membro contestou uma venda.",
    filed: "Aberta em",
    purchased: "Comprada em",
    amount: "Valor",
    member: "Membro",
    status: "Situação",
    decision_reason: "Motivo do operador",
    status_pending: "Aguardando o MSP",
    status_approved: "Aprovada: venda estornada",
    status_rejected: "Rejeitada: venda mantida",
    next_page: "Próxima página",

    payouts_heading: "Repasses",
    payouts_intro: "Os mais recentes primeiro: quanto cada liquidação pagou a você, e onde.",
    payouts_empty: "Nenhum repasse ainda.",
    paid: "Pago em",
    payout: "Repasse",
    payout_paid: "Pago",
    payout_returned: |reason| format!("Devolvido pelo banco: {reason}"),

    api_keys_heading: "Chaves de API",
    api_keys_intro: "Girar a chave gera uma nova chave para os seus servidores. A chave usada \
                     até agora continua valendo por um tempo para a troca; uma chave girada \
                     antes deixa de valer na hora.",
    rotate: "Girar a chave de API",
    new_key_heading: "Sua nova chave de API",
    new_key_note: "Ela aparece só desta vez. Guarde-a agora nos segredos dos seus servidores.",
    previous_key_until: "A chave anterior vale até",

    programs_heading: "Programas de incentivo",
    programs_intro: "Seu próprio programa: os membros resgatam o código e recebem um crédito \
                     que só podem gastar com você. Você o custeia: o que os créditos pagam \
                     não é repassado a você.",
    code: "Código",
    code_hint: "De 3 a 32 letras, dígitos, - ou _. Os membros o digitam; ele é guardado em \
                maiúsculas.",
    grant_amount: |currency| format!("Valor de cada crédito ({currency})"),
    budget: |currency| format!("Orçamento total ({currency})"),
    expires_at: "Os créditos expiram em (UTC, opcional)",
    create_program: "Criar programa",
    program_created: "O programa foi criado.",
    program_id: "Id do programa, para créditos",
    code_invalid: "O código deve ter de 3 a 32 letras, dígitos, - ou _.",
    code_taken: "Outro programa já usa este código. Escolha outro.",
    amount_invalid: "Informe o valor de cada crédito, acima de zero, como 2.00.",
    budget_invalid: "Informe um orçamento de pelo menos o valor de um crédito, como 500.00.",
    expiry_invalid: "Informe um momento que ainda não passou, ou deixe em branco.",
    vendor_not_approved: Problem {
        title: "Não aprovado",
        detail: "O MSP não aprovou o seu vendedor, ou deixou de aprovar. Fale com o MSP.",
    },
};
