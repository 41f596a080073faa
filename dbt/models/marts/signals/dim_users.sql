{#-
  One row per user: where and when they were seen, and their consent to training on their
  interactions, from their latest consent.changed event for scope training_data. A user with no
  such event has consent_status 'never'; only 'granted' users may reach a training set.
-#}
with seen as (

    select
        user_id,
        arg_max(workspace_id, {'at': last_seen_at, 'id': workspace_id}) as workspace_id,
        count(*) as workspaces,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from {{ ref('int_workspace_users_seen') }}
    group by user_id

),

consent_changes as (

    select * from {{ ref('stg_lake__consent_changes') }}
    where consent_scope = 'training_data'

),

consent as (

    select
        user_id,
        arg_max(consent_status, {'at': changed_at, 'id': consent_change_id}) as consent_status,
        max(changed_at) as consent_changed_at,
        max(changed_at) filter (where consent_status = 'granted') as granted_at,
        max(changed_at) filter (where consent_status = 'revoked') as revoked_at,
        count(*) as consent_changes
    from consent_changes
    group by user_id

),

final as (

    select
        seen.user_id,
        seen.workspace_id,
        seen.workspaces,
        seen.first_seen_at,
        seen.last_seen_at,
        coalesce(consent.consent_status, 'never') as consent_status,
        consent.consent_changed_at,
        consent.granted_at,
        consent.revoked_at,
        coalesce(consent.consent_changes, 0) as consent_changes,
        coalesce(consent.consent_status = 'granted', false) as is_training_eligible
    from seen
    left join consent using (user_id)

)

select * from final
order by user_id
