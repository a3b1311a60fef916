//! The back office in Brazilian Portuguese. Every field of [`BackOfficeStrings`] must be
//! filled, so a sentence added to the struct cannot be forgotten here. Depends on nothing but
//! `i18n`.

use crate::web::i18n::{BackOfficeProblems, BackOfficeStrings, Problem};

/// Brazilian Portuguese.
pub const BACK_OFFICE_PT_BR: BackOfficeStrings = BackOfficeStrings {
    footer: "Retaguarda farthing · somente para a equipe do MSP",
    menu: "Páginas da retaguarda",
    signed_in_as: |email| format!("Conectado como {email}"),
    signed_in_with_admin_key: "Conectado com a chave de administrador",
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

    problem_code: "Código",
    problem_generic_title: "Não deu certo",
    problem_generic_detail: "O pedido foi recusado ou não pôde ser concluído. O código abaixo \
                             diz por quê.",
    back_to_home: "Voltar à retaguarda",
    problems: BackOfficeProblems {
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
        decided_already: Problem {
            title: "Já decidido",
            detail: "Alguém decidiu isto antes de você. Recarregue a página para ver a \
                     situação atual.",
        },
        unavailable: Problem {
            title: "Indisponível no momento",
            detail: "O serviço não pôde decidir agora. Nada foi alterado; tente de novo em \
                     instantes.",
        },
    },
};
