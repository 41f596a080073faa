{#-
  One row per workspace (the paying account): when it was active, its users, and its consent
  state: the latest consent.changed event of any of its users (granted / revoked / never, with
  revoked_at), and how many users are in each state.
-#}
with seen as (

    select
        workspace_id,
        count(*) as users,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from {{ ref('int_workspace_users_seen') }}
    group by workspace_id

),

consent_changes as (

    select * from {{ ref('stg_lake__consent_changes') }}
    where consent_scope = 'training_data'

),

latest_consent as (

    select
        workspace_id,
        arg_max(consent_status, {'at': changed_at, 'id': consent_change_id}) as consent_status,
        max(changed_at) as consent_changed_at,
        max(changed_at) filter (where consent_status = 'revoked') as revoked_at
    from consent_changes
    group by workspace_id

),

users_by_consent as (

    select
        members.workspace_id,
        count(*) filter (where users.consent_status = 'granted') as users_consent_granted,
        count(*) filter (where users.consent_status = 'revoked') as users_consent_revoked,
        count(*) filter (where users.consent_status = 'never') as users_consent_never
    from {{ ref('int_workspace_users_seen') }} as members
    inner join {{ ref('dim_users') }} as users using (user_id)
    group by members.workspace_id

),

final as (

    select
        seen.workspace_id,
        seen.users,
        seen.first_seen_at,
        seen.last_seen_at,
        coalesce(latest_consent.consent_status, 'never') as consent_status,
        latest_consent.consent_changed_at,
        latest_consent.revoked_at,
        coalesce(users_by_consent.users_consent_granted, 0) as users_consent_granted,
        coalesce(users_by_consent.users_consent_revoked, 0) as users_consent_revoked,
        coalesce(users_by_consent.users_consent_never, 0) as users_consent_never
    from seen
    left join latest_consent using (workspace_id)
    left join users_by_consent using (workspace_id)

)

select * from final
order by workspace_id
