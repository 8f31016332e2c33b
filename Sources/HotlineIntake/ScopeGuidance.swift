import HotlineDomain

/// The standard guidance a citizen is given when a request is not accepted (不予受理), one text per
/// reason of POLICIES.md §6: why, and where to go instead. Intake uses it when the agent gave none.
public enum ScopeGuidance {
    public static func text(for reason: NotAcceptedReason) -> String {
        switch reason {
        case .inLegalProcedure:
            "该事项已进入诉讼、仲裁、纪检监察、行政复议或政府信息公开程序，请通过相应程序办理。"
        case .inPetitionChannel:
            "该事项已通过信访渠道反映，请向受理的信访部门了解办理进度。"
        case .secretsOrPrivacy:
            "该事项涉及国家秘密、工作秘密、商业秘密或个人隐私，或违背公序良俗，本热线不予受理。"
        case .emergencyService:
            "紧急求助请直接拨打110（报警）、119（火警）、120（急救）、122（交通事故）。"
        case .militaryMatter:
            "涉及军队、武警的事项不属于本热线受理范围，请向相关军队、武警单位反映。"
        case .harassmentOrNoRequest:
            "您的来电没有具体诉求。请说明需要办理或反映的具体事项；无正当理由反复占用热线或辱骂、威胁话务人员的，将被限制呼入。"
        case .alreadyClosedRepeated:
            "该事项已依法依规办结，就同一事实和理由重复反映的不再受理；如有新的情况，请补充新的事实和理由。"
        case .outsideJurisdiction:
            "该事项不属于本热线受理范围，请向事发地12345热线反映。"
        case .excludedByLaw:
            "根据法律法规规定，该事项不属于本热线受理范围，请通过法定途径办理。"
        }
    }
}
