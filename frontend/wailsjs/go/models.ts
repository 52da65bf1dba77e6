export namespace app {
	
	export class About {
	    version: string;
	    commit: string;
	    goVersion: string;
	    platform: string;
	    profile: string;
	    dataDir: string;
	
	    static createFrom(source: any = {}) {
	        return new About(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.version = source["version"];
	        this.commit = source["commit"];
	        this.goVersion = source["goVersion"];
	        this.platform = source["platform"];
	        this.profile = source["profile"];
	        this.dataDir = source["dataDir"];
	    }
	}
	export class AccountStatus {
	    hasProfile: boolean;
	    signedIn: boolean;
	    handle: string;
	    defaultRelay: string;
	    relay: string;
	
	    static createFrom(source: any = {}) {
	        return new AccountStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.hasProfile = source["hasProfile"];
	        this.signedIn = source["signedIn"];
	        this.handle = source["handle"];
	        this.defaultRelay = source["defaultRelay"];
	        this.relay = source["relay"];
	    }
	}
	export class AttachmentView {
	    id: number;
	    name: string;
	    mime: string;
	    size: number;
	    image: boolean;
	
	    static createFrom(source: any = {}) {
	        return new AttachmentView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.mime = source["mime"];
	        this.size = source["size"];
	        this.image = source["image"];
	    }
	}
	export class CallLogView {
	    outgoing: boolean;
	    video: boolean;
	    seconds: number;
	    reason: string;
	
	    static createFrom(source: any = {}) {
	        return new CallLogView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.outgoing = source["outgoing"];
	        this.video = source["video"];
	        this.seconds = source["seconds"];
	        this.reason = source["reason"];
	    }
	}
	export class CallStatsView {
	    path: string;
	    localType: string;
	    remoteType: string;
	    rttMillis: number;
	    targetBitrate: number;
	    bytesSent: number;
	    bytesReceived: number;
	    audioPackets: number;
	    videoPackets: number;
	    audioLoss: number;
	    concealed: number;
	    fec: number;
	    videoFrames: number;
	    audioSent: number;
	
	    static createFrom(source: any = {}) {
	        return new CallStatsView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.localType = source["localType"];
	        this.remoteType = source["remoteType"];
	        this.rttMillis = source["rttMillis"];
	        this.targetBitrate = source["targetBitrate"];
	        this.bytesSent = source["bytesSent"];
	        this.bytesReceived = source["bytesReceived"];
	        this.audioPackets = source["audioPackets"];
	        this.videoPackets = source["videoPackets"];
	        this.audioLoss = source["audioLoss"];
	        this.concealed = source["concealed"];
	        this.fec = source["fec"];
	        this.videoFrames = source["videoFrames"];
	        this.audioSent = source["audioSent"];
	    }
	}
	export class CallView {
	    id: string;
	    conversation: number;
	    handle: string;
	    outgoing: boolean;
	    video: boolean;
	    remoteVideo: boolean;
	    state: string;
	    endReason: string;
	    startedAt: number;
	    connectedAt: number;
	    muted: boolean;
	    quality: string;
	    note: string;
	
	    static createFrom(source: any = {}) {
	        return new CallView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.conversation = source["conversation"];
	        this.handle = source["handle"];
	        this.outgoing = source["outgoing"];
	        this.video = source["video"];
	        this.remoteVideo = source["remoteVideo"];
	        this.state = source["state"];
	        this.endReason = source["endReason"];
	        this.startedAt = source["startedAt"];
	        this.connectedAt = source["connectedAt"];
	        this.muted = source["muted"];
	        this.quality = source["quality"];
	        this.note = source["note"];
	    }
	}
	export class ContactView {
	    handle: string;
	    verification: string;
	    safetyNumber: string;
	    qr: string;
	    transparencyChecked: boolean;
	    transparencySize: number;
	    transparencyFailure?: string;
	
	    static createFrom(source: any = {}) {
	        return new ContactView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.handle = source["handle"];
	        this.verification = source["verification"];
	        this.safetyNumber = source["safetyNumber"];
	        this.qr = source["qr"];
	        this.transparencyChecked = source["transparencyChecked"];
	        this.transparencySize = source["transparencySize"];
	        this.transparencyFailure = source["transparencyFailure"];
	    }
	}
	export class ConversationView {
	    id: number;
	    contactId: number;
	    handle: string;
	    state: string;
	    verification: string;
	    lastMessage: string;
	    lastAt: number;
	    unread: number;
	    muted: boolean;
	    timerSecs: number;
	    keyChangedAt: number;
	
	    static createFrom(source: any = {}) {
	        return new ConversationView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.contactId = source["contactId"];
	        this.handle = source["handle"];
	        this.state = source["state"];
	        this.verification = source["verification"];
	        this.lastMessage = source["lastMessage"];
	        this.lastAt = source["lastAt"];
	        this.unread = source["unread"];
	        this.muted = source["muted"];
	        this.timerSecs = source["timerSecs"];
	        this.keyChangedAt = source["keyChangedAt"];
	    }
	}
	export class DesktopPreferences {
	    closeToTray: boolean;
	    startAtLogin: boolean;
	    startMinimised: boolean;
	    doNotDisturbUntil: number;
	
	    static createFrom(source: any = {}) {
	        return new DesktopPreferences(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.closeToTray = source["closeToTray"];
	        this.startAtLogin = source["startAtLogin"];
	        this.startMinimised = source["startMinimised"];
	        this.doNotDisturbUntil = source["doNotDisturbUntil"];
	    }
	}
	export class DeviceView {
	    id: string;
	    kind: string;
	    label: string;
	    default: boolean;
	
	    static createFrom(source: any = {}) {
	        return new DeviceView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.label = source["label"];
	        this.default = source["default"];
	    }
	}
	export class HandleCheck {
	    handle: string;
	    problem: string;
	    availability: string;
	
	    static createFrom(source: any = {}) {
	        return new HandleCheck(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.handle = source["handle"];
	        this.problem = source["problem"];
	        this.availability = source["availability"];
	    }
	}
	export class ReactionView {
	    emoji: string;
	    mine: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ReactionView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.emoji = source["emoji"];
	        this.mine = source["mine"];
	    }
	}
	export class MessageView {
	    id: number;
	    outgoing: boolean;
	    status: string;
	    body: string;
	    replyTo: number;
	    sentAt: number;
	    edited: boolean;
	    expiresAt: number;
	    reactions: ReactionView[];
	    callLog?: CallLogView;
	
	    static createFrom(source: any = {}) {
	        return new MessageView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.outgoing = source["outgoing"];
	        this.status = source["status"];
	        this.body = source["body"];
	        this.replyTo = source["replyTo"];
	        this.sentAt = source["sentAt"];
	        this.edited = source["edited"];
	        this.expiresAt = source["expiresAt"];
	        this.reactions = this.convertValues(source["reactions"], ReactionView);
	        this.callLog = this.convertValues(source["callLog"], CallLogView);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class PreCallView {
	    handle: string;
	    known: boolean;
	    conversation: number;
	    verification: string;
	    state: string;
	
	    static createFrom(source: any = {}) {
	        return new PreCallView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.handle = source["handle"];
	        this.known = source["known"];
	        this.conversation = source["conversation"];
	        this.verification = source["verification"];
	        this.state = source["state"];
	    }
	}
	export class Preferences {
	    readReceipts: boolean;
	    typingIndicators: boolean;
	    notificationContent: string;
	    relayCalls: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Preferences(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.readReceipts = source["readReceipts"];
	        this.typingIndicators = source["typingIndicators"];
	        this.notificationContent = source["notificationContent"];
	        this.relayCalls = source["relayCalls"];
	    }
	}
	
	export class SearchHit {
	    conversation: number;
	    handle: string;
	    message: MessageView;
	
	    static createFrom(source: any = {}) {
	        return new SearchHit(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.conversation = source["conversation"];
	        this.handle = source["handle"];
	        this.message = this.convertValues(source["message"], MessageView);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace bridge {
	
	export class Endpoint {
	    url: string;
	    token: string;
	
	    static createFrom(source: any = {}) {
	        return new Endpoint(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.url = source["url"];
	        this.token = source["token"];
	    }
	}

}

export namespace desktop {
	
	export class DNDView {
	    active: boolean;
	    until: number;
	    label: string;
	
	    static createFrom(source: any = {}) {
	        return new DNDView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.active = source["active"];
	        this.until = source["until"];
	        this.label = source["label"];
	    }
	}
	export class OpenRequest {
	    kind: string;
	    handle?: string;
	    conversation?: number;
	    video?: boolean;
	    source: string;
	
	    static createFrom(source: any = {}) {
	        return new OpenRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.handle = source["handle"];
	        this.conversation = source["conversation"];
	        this.video = source["video"];
	        this.source = source["source"];
	    }
	}

}

export namespace messenger {
	
	export class TransparencyStatus {
	    checked: boolean;
	    size: number;
	    version: number;
	    // Go type: time
	    at: any;
	    failure?: string;
	
	    static createFrom(source: any = {}) {
	        return new TransparencyStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.checked = source["checked"];
	        this.size = source["size"];
	        this.version = source["version"];
	        this.at = this.convertValues(source["at"], null);
	        this.failure = source["failure"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

