using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/email-subscriptions.asl.json as deployed (<see cref="AslWorkflow"/>): a tenant's e-mail subscriptions to the
/// notifications topic (filtered on its tenant id), changed by the state machine through Step Functions' SNS integration and
/// recorded on the tenant by its one function. The API starts it when a tenant's addresses change.
/// </summary>
public sealed class EmailSubscriptionsWorkflow : AslWorkflow
{
    public EmailSubscriptionsWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
        : base(scope, id, state, Handlers.EmailSubscriptionsWorkflow, definitionFile, [], createFunction)
    {
        ArgumentNullException.ThrowIfNull(state);
        // Subscribe and unsubscribe on the notifications topic: nothing else of SNS, and no publishing.
        StateMachine.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["sns:Subscribe", "sns:Unsubscribe"],
            Resources = [state.Topics[ResourceCatalog.Notifications.LogicalName].TopicArn],
        }));
        AlarmOnFailedExecutions("SubscriptionsNotInStep", "A tenant's e-mail subscriptions could not be brought in step with its settings; see the execution named {tenant}-emails-….");
    }

    protected override void Grant(string handler, Function target)
    {
        switch (handler)
        {
            case Handlers.SubscriptionsPlan:
                // The tenant's profile: its addresses and its recorded subscriptions.
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                break;
            case Handlers.SubscriptionsRecord:
                // The tenant's profile, read and saved conditionally on its version; another run when the settings changed meanwhile.
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem", "dynamodb:PutItem");
                GrantStartExecution(target);
                break;
            default:
                throw new InvalidOperationException($"The e-mail subscriptions workflow names a handler without grants: {handler}. Add its grants to EmailSubscriptionsWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.SubscriptionsPlan => "E-mail subscriptions workflow: works out which addresses to subscribe and which subscriptions to remove, from the stored tenant.",
        Handlers.SubscriptionsRecord => "E-mail subscriptions workflow: records each subscription's ARN on the tenant (and drops removed ones).",
        _ => $"E-mail subscriptions step {handler}.",
    };
}
