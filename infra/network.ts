import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";

export interface NetworkArgs {
    /** Availability zones to spread subnets (and so nodes and load balancers) across; EKS needs >= 2. */
    availabilityZones: number;
    /** One NAT gateway per AZ survives a zone outage; a single one is cheaper for dev. */
    natGateways: "single" | "one-per-az";
    /** Cluster name, for the Karpenter subnet discovery tag. */
    clusterName: string;
    tags: Record<string, string>;
}

/**
 * The VPC the cluster lives in: public subnets for internet-facing load balancers, private subnets
 * (large, for prefix delegation) for nodes and internal load balancers, tagged so the AWS Load
 * Balancer Controller and Karpenter find them.
 */
export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly privateSubnetIds: pulumi.Output<string[]>;
    readonly publicSubnetIds: pulumi.Output<string[]>;
    /** Address ranges of the public subnets: internet-facing load balancers connect to pods from these. */
    readonly publicSubnetCidrs: pulumi.Output<string[]>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("eks-delivery:infra:Network", name, {}, opts);
        const vpc = new awsx.ec2.Vpc(name, {
            cidrBlock: "10.0.0.0/16",
            numberOfAvailabilityZones: args.availabilityZones,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            natGateways: {
                strategy: args.natGateways === "one-per-az" ? awsx.ec2.NatGatewayStrategy.OnePerAz : awsx.ec2.NatGatewayStrategy.Single,
            },
            subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
            subnetSpecs: [
                { type: awsx.ec2.SubnetType.Public, cidrMask: 22, tags: { ...args.tags, "kubernetes.io/role/elb": "1" } },
                {
                    type: awsx.ec2.SubnetType.Private,
                    cidrMask: 19,
                    tags: { ...args.tags, "kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": args.clusterName },
                },
            ],
            tags: args.tags,
        }, { parent: this });

        this.vpcId = vpc.vpcId;
        this.privateSubnetIds = vpc.privateSubnetIds;
        this.publicSubnetIds = vpc.publicSubnetIds;
        this.publicSubnetCidrs = vpc.publicSubnetIds.apply((ids) =>
            pulumi.all(ids.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }).cidrBlock)));
        this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
    }
}
