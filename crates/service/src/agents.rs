//! Guardians and agents: someone may act for a person (pre-check, apply, supplement, withdraw,
//! read) only once the window has recorded the relationship with proof — a stored file such as
//! the guardianship certificate or a signed power of attorney.

use domain::access::Permission;
use domain::ids::IdNumber;

use crate::Platform;
use crate::auth::Principal;
use crate::error::ServiceError;
use crate::files::actor_ref;
use crate::ports::Store;

/// The kinds of relationship the window records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    /// 监护人 (parent, spouse or appointed guardian).
    Guardian,
    /// 委托代办人, with a signed power of attorney.
    Agent,
}

impl Relationship {
    pub fn parse(key: &str) -> Option<Self> {
        match key {
            "guardian" => Some(Self::Guardian),
            "agent" => Some(Self::Agent),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Guardian => "guardian",
            Self::Agent => "agent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Guardian => "监护人",
            Self::Agent => "委托代办人",
        }
    }
}

/// A relationship to record.
#[derive(Debug, Clone)]
pub struct AgentLinkRequest {
    /// The person acted for.
    pub person_id_number: String,
    /// The guardian or agent.
    pub agent_id_number: String,
    pub relationship: String,
    /// The id of the uploaded proof.
    pub proof_file: String,
}

/// A recorded relationship, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLink {
    pub agent_index: String,
    pub person: String,
    pub relationship: Relationship,
    pub proof_file: String,
    pub recorded_by: String,
}

fn id(field: &str, text: &str) -> Result<IdNumber, ServiceError> {
    IdNumber::parse(text.trim())
        .map_err(|e| ServiceError::field(field, "id_number.invalid", e.to_string()))
}

impl<S: Store> Platform<S> {
    /// Records that `agent` may act for `person`: only the window clerk, for a person already in
    /// the registry whose 户籍 lies within the clerk's scope (elsewhere the person does not
    /// exist), with an uploaded proof. Recording the same pair again changes nothing.
    pub async fn record_agent_link(
        &self,
        principal: &Principal,
        request: &AgentLinkRequest,
    ) -> Result<AgentLink, ServiceError> {
        let Principal::Staff { role, scope, .. } = principal else {
            return Err(ServiceError::Forbidden);
        };
        if !role.may(Permission::Intake) {
            return Err(ServiceError::Forbidden);
        }
        let person_number = id("person_id_number", &request.person_id_number)?;
        let agent_number = id("agent_id_number", &request.agent_id_number)?;
        if person_number == agent_number {
            return Err(ServiceError::field(
                "agent_id_number",
                "agent.self",
                "监护人或代办人不能是申请人本人",
            ));
        }
        let relationship = Relationship::parse(&request.relationship).ok_or_else(|| {
            ServiceError::field(
                "relationship",
                "agent.relationship",
                "关系须为 guardian（监护人）或 agent（委托代办人）",
            )
        })?;
        if request.proof_file.trim().is_empty() {
            return Err(ServiceError::field(
                "proof_file",
                "agent.proof_missing",
                "请上传监护关系证明或委托书",
            ));
        }
        let record = self
            .store
            .find_by_id_index(&self.vault.id_index(&person_number))
            .await?
            .ok_or(ServiceError::NotFound("人员"))?;
        let place = self.regions.handling_place(&record.person.hukou)?;
        if !scope.covers(&place.path()) {
            return Err(ServiceError::NotFound("人员"));
        }
        if self
            .store
            .file_meta(request.proof_file.trim())
            .await?
            .is_none()
        {
            return Err(ServiceError::field(
                "proof_file",
                "agent.proof_unknown",
                "证明文件不存在，请先上传",
            ));
        }
        let link = AgentLink {
            agent_index: self.vault.id_index(&agent_number),
            person: record.person.id.0.clone(),
            relationship,
            proof_file: request.proof_file.trim().to_owned(),
            recorded_by: actor_ref(&principal.actor()),
        };
        let now = self.clock.now();
        let audit = crate::audit::AuditEntry {
            at: now,
            actor: crate::audit::actor_key(&principal.actor()),
            action: "agent.link".to_owned(),
            subject: crate::audit::person_subject(&record.person.id),
            reason: relationship.label().to_owned(),
            detail: serde_json::json!({
                "relationship": relationship.key(),
                "proof_file": link.proof_file,
            })
            .to_string(),
        };
        self.store.put_agent_link(&link, now, &audit).await?;
        tracing::info!(
            relationship = relationship.key(),
            "agent relationship recorded"
        );
        Ok(link)
    }
}
