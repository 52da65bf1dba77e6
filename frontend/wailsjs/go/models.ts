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

}

